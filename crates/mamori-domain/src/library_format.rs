//! mamori's own library format: YAML, bilingual, the requirement tree
//! written as a tree. Libraries mamori ships are written in it; any
//! [`Library`] (one read from CISO Assistant's format too) can be written
//! out in it and read back the same ([`to_mamori_yaml`], [`parse_mamori`]).
//!
//! ```yaml
//! format: mamori-library/1          # tells the format apart (required)
//! urn: urn:mamori:library:example   # required, unique among libraries
//! ref_id: EXAMPLE                   # defaults to the name
//! name: Example framework           # required; in `locale` (default en)
//! name_ja: 例のフレームワーク         # optional
//! description: …
//! locale: en
//! version: 1                        # default 1
//! provider: mamori
//! dependencies: [urn:…]             # libraries this one refers into
//! framework:                        # optional
//!   urn: urn:mamori:framework:example
//!   ref_id: EXAMPLE
//!   name: Example framework
//!   name_ja: 例のフレームワーク
//!   requirements:                   # the tree
//!   - ref_id: "1"                   # ref_id and/or name
//!     name: Governance
//!     name_ja: ガバナンス
//!     requirements:                 # children
//!     - ref_id: "1.1"
//!       name: Policy
//!       urn: …                      # default: <framework urn>:<ref_id, lower case>
//!       assessable: true            # default: true for a leaf, false for a parent
//!       reference_controls: [urn:…]
//! reference_controls:
//! - {urn: …, ref_id: …, name: …, name_ja: …, category: policy, description: …}
//! mapping_sets:
//! - urn: …
//!   source_framework_urn: …
//!   target_framework_urn: …
//!   mappings:
//!   - {source: urn:…, target: urn:…, relationship: intersect}
//! ```
//!
//! Nodes come out depth first, parents before their children; errors name
//! the place (`framework.requirements[2].requirements[0].ref_id`) and the
//! reason, as for CISO Assistant's format.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::library::{
    Framework, Library, LibraryError, MAX_LIBRARY_BYTES, Mapping, MappingSet, RELATIONSHIPS,
    ReferenceControl, RequirementNode, parse_ciso_assistant,
};

/// The `format` value of this version.
pub const FORMAT: &str = "mamori-library/1";

/// The libraries mamori ships, authored by the project: identifiers and
/// short titles only, never a standard's text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "iso27001-2022.yaml",
        include_str!("../libraries/iso27001-2022.yaml"),
    ),
    (
        "appi-safety-measures.yaml",
        include_str!("../libraries/appi-safety-measures.yaml"),
    ),
    (
        "group-basic-policy.yaml",
        include_str!("../libraries/group-basic-policy.yaml"),
    ),
];

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    framework: Option<DocFramework>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reference_controls: Vec<DocControl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    mapping_sets: Vec<DocMappingSet>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocFramework {
    urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<DocNode>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocNode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    urn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assessable: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reference_controls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<DocNode>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocControl {
    urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocMappingSet {
    urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    source_framework_urn: String,
    target_framework_urn: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    mappings: Vec<DocMapping>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocMapping {
    source: String,
    target: String,
    relationship: String,
}

/// Reads a library in either format: mamori's (it starts by saying
/// `format: mamori-library/1`) or CISO Assistant's.
pub fn parse_library(text: &str) -> Result<Library, Vec<LibraryError>> {
    let ours = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("format:"));
    if ours {
        parse_mamori(text)
    } else {
        parse_ciso_assistant(text)
    }
}

fn fail(at: impl Into<String>, reason: impl Into<String>) -> LibraryError {
    LibraryError {
        at: at.into(),
        reason: reason.into(),
    }
}

/// The URN a node gets when it does not name one.
fn default_urn(framework: &str, ref_id: Option<&str>) -> Option<String> {
    ref_id.map(|r| format!("{framework}:{}", r.trim().to_lowercase().replace(' ', "-")))
}

/// Reads a library in mamori's format.
pub fn parse_mamori(text: &str) -> Result<Library, Vec<LibraryError>> {
    if text.len() > MAX_LIBRARY_BYTES {
        return Err(vec![fail(
            "the file",
            format!("is larger than {MAX_LIBRARY_BYTES} bytes"),
        )]);
    }
    let doc: Doc = yaml_serde::from_str(text).map_err(|e| {
        let at = e.location().map_or_else(
            || "the file".to_owned(),
            |l| format!("line {} column {}", l.line(), l.column()),
        );
        vec![fail(at, format!("not a library in mamori's format: {e}"))]
    })?;
    let mut errors = Vec::new();
    if doc.format != FORMAT {
        errors.push(fail(
            "format",
            format!("is {:?}; this mamori reads {FORMAT:?}", doc.format),
        ));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut urn_ok = |at: &str, urn: &str, errors: &mut Vec<LibraryError>| {
        if !urn.starts_with("urn:") || urn.chars().any(char::is_whitespace) {
            errors.push(fail(at, format!("{urn:?} is not a URN (urn:…, no spaces)")));
        } else if !seen.insert(urn.to_lowercase()) {
            errors.push(fail(at, format!("{urn} is used twice in this library")));
        }
    };
    urn_ok("urn", &doc.urn, &mut errors);
    if doc.name.trim().is_empty() {
        errors.push(fail("name", "is required"));
    }
    let reference_controls: Vec<ReferenceControl> = doc
        .reference_controls
        .into_iter()
        .enumerate()
        .map(|(i, rc)| {
            urn_ok(
                &format!("reference_controls[{i}].urn"),
                &rc.urn,
                &mut errors,
            );
            ReferenceControl {
                urn: rc.urn,
                ref_id: rc.ref_id,
                name: rc.name,
                name_ja: rc.name_ja,
                category: rc.category,
                description: rc.description,
            }
        })
        .collect();
    let mut frameworks = Vec::new();
    if let Some(f) = doc.framework {
        urn_ok("framework.urn", &f.urn, &mut errors);
        let mut nodes = Vec::new();
        let mut stack: Vec<(String, Option<String>, u32, DocNode)> = f
            .requirements
            .into_iter()
            .enumerate()
            .rev()
            .map(|(i, n)| (format!("framework.requirements[{i}]"), None, 1, n))
            .collect();
        while let Some((at, parent, depth, n)) = stack.pop() {
            if n.ref_id.is_none() && n.name.is_none() && n.description.is_none() {
                errors.push(fail(&at, "has no ref_id, name or description to show"));
            }
            let urn = match n
                .urn
                .clone()
                .or_else(|| default_urn(&f.urn, n.ref_id.as_deref()))
            {
                Some(u) => u,
                None => {
                    errors.push(fail(&at, "needs a ref_id or a urn"));
                    String::new()
                }
            };
            if !urn.is_empty() {
                urn_ok(&format!("{at}.urn"), &urn, &mut errors);
            }
            let leaf = n.requirements.is_empty();
            for (i, child) in n.requirements.into_iter().enumerate().rev() {
                stack.push((
                    format!("{at}.requirements[{i}]"),
                    Some(urn.clone()),
                    depth + 1,
                    child,
                ));
            }
            nodes.push(RequirementNode {
                urn,
                parent_urn: parent,
                ref_id: n.ref_id,
                name: n.name,
                name_ja: n.name_ja,
                description: n.description,
                assessable: n.assessable.unwrap_or(leaf),
                depth,
                reference_controls: n.reference_controls,
            });
        }
        frameworks.push(Framework {
            urn: f.urn,
            ref_id: f.ref_id.unwrap_or_else(|| f.name.clone()),
            name: f.name,
            name_ja: f.name_ja,
            description: f.description,
            nodes,
        });
    }
    let mapping_sets: Vec<MappingSet> = doc
        .mapping_sets
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            urn_ok(&format!("mapping_sets[{i}].urn"), &m.urn, &mut errors);
            let mappings = m
                .mappings
                .into_iter()
                .enumerate()
                .map(|(j, r)| {
                    if !RELATIONSHIPS.contains(&r.relationship.as_str()) {
                        errors.push(fail(
                            format!("mapping_sets[{i}].mappings[{j}].relationship"),
                            format!(
                                "{:?} is not one of: {}",
                                r.relationship,
                                RELATIONSHIPS.join(", ")
                            ),
                        ));
                    }
                    Mapping {
                        source_requirement_urn: r.source,
                        target_requirement_urn: r.target,
                        relationship: r.relationship,
                    }
                })
                .collect();
            MappingSet {
                urn: m.urn,
                ref_id: m.ref_id,
                name: m.name,
                source_framework_urn: m.source_framework_urn,
                target_framework_urn: m.target_framework_urn,
                mappings,
            }
        })
        .collect();
    if frameworks.is_empty() && reference_controls.is_empty() && mapping_sets.is_empty() {
        errors.push(fail(
            "framework",
            "the library holds no framework, reference control or mapping set",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Library {
        ref_id: doc.ref_id.unwrap_or_else(|| doc.name.clone()),
        urn: doc.urn,
        name: doc.name,
        name_ja: doc.name_ja,
        description: doc.description,
        locale: doc.locale.unwrap_or_else(|| "en".into()),
        version: doc.version.unwrap_or(1),
        provider: doc.provider,
        dependencies: doc.dependencies,
        frameworks,
        reference_controls,
        mapping_sets,
    })
}

/// Writes a library in mamori's format (a framework's nodes as a tree).
pub fn to_mamori_yaml(lib: &Library) -> String {
    let framework = lib.frameworks.first().map(|f| {
        let mut children: HashMap<Option<&str>, Vec<&RequirementNode>> = HashMap::new();
        for n in &f.nodes {
            children.entry(n.parent_urn.as_deref()).or_default().push(n);
        }
        fn tree(
            framework: &str,
            parent: Option<&str>,
            children: &HashMap<Option<&str>, Vec<&RequirementNode>>,
        ) -> Vec<DocNode> {
            children
                .get(&parent)
                .into_iter()
                .flatten()
                .map(|n| {
                    let below = tree(framework, Some(&n.urn), children);
                    let default_assessable = below.is_empty();
                    DocNode {
                        urn: (default_urn(framework, n.ref_id.as_deref()).as_deref()
                            != Some(n.urn.as_str()))
                        .then(|| n.urn.clone()),
                        ref_id: n.ref_id.clone(),
                        name: n.name.clone(),
                        name_ja: n.name_ja.clone(),
                        description: n.description.clone(),
                        assessable: (n.assessable != default_assessable).then_some(n.assessable),
                        reference_controls: n.reference_controls.clone(),
                        requirements: below,
                    }
                })
                .collect()
        }
        DocFramework {
            urn: f.urn.clone(),
            ref_id: (f.ref_id != f.name).then(|| f.ref_id.clone()),
            name: f.name.clone(),
            name_ja: f.name_ja.clone(),
            description: f.description.clone(),
            requirements: tree(&f.urn, None, &children),
        }
    });
    let doc = Doc {
        format: FORMAT.to_owned(),
        urn: lib.urn.clone(),
        ref_id: (lib.ref_id != lib.name).then(|| lib.ref_id.clone()),
        name: lib.name.clone(),
        name_ja: lib.name_ja.clone(),
        description: lib.description.clone(),
        locale: (lib.locale != "en").then(|| lib.locale.clone()),
        version: (lib.version != 1).then_some(lib.version),
        provider: lib.provider.clone(),
        dependencies: lib.dependencies.clone(),
        framework,
        reference_controls: lib
            .reference_controls
            .iter()
            .map(|rc| DocControl {
                urn: rc.urn.clone(),
                ref_id: rc.ref_id.clone(),
                name: rc.name.clone(),
                name_ja: rc.name_ja.clone(),
                category: rc.category.clone(),
                description: rc.description.clone(),
            })
            .collect(),
        mapping_sets: lib
            .mapping_sets
            .iter()
            .map(|m| DocMappingSet {
                urn: m.urn.clone(),
                ref_id: m.ref_id.clone(),
                name: m.name.clone(),
                source_framework_urn: m.source_framework_urn.clone(),
                target_framework_urn: m.target_framework_urn.clone(),
                mappings: m
                    .mappings
                    .iter()
                    .map(|r| DocMapping {
                        source: r.source_requirement_urn.clone(),
                        target: r.target_requirement_urn.clone(),
                        relationship: r.relationship.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    yaml_serde::to_string(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::fixture;

    /// The same library, nodes in a canonical order (mamori's format writes
    /// them depth first, which a file may not have).
    fn canonical(mut lib: Library) -> Library {
        for f in &mut lib.frameworks {
            f.nodes.sort_by(|a, b| a.urn.cmp(&b.urn));
        }
        lib
    }

    #[test]
    fn every_fixture_survives_the_round_trip() {
        for name in [
            "iso27001-2022.yaml",
            "nist-csf-2.0.yaml",
            "mapping-nist-csf-2.0-to-iso27001-2022.yaml",
        ] {
            let lib = parse_library(&fixture(name)).expect(name);
            let written = to_mamori_yaml(&lib);
            let back = parse_library(&written).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(canonical(back.clone()), canonical(lib), "{name}");
            assert_eq!(to_mamori_yaml(&back), written, "{name}: writing is stable");
        }
    }

    #[test]
    fn shipped_libraries_read_and_hold_what_they_promise() {
        let mut by_urn = HashMap::new();
        for (name, text) in BUILTIN {
            let lib = parse_library(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(
                to_mamori_yaml(&lib),
                to_mamori_yaml(&parse_mamori(&to_mamori_yaml(&lib)).expect("again"))
            );
            let f = &lib.frameworks[0];
            assert!(
                f.nodes
                    .iter()
                    .all(|n| n.name.is_some() && n.name_ja.is_some()),
                "{name}: every node in English and Japanese"
            );
            by_urn.insert(lib.urn.clone(), lib);
        }
        let iso = &by_urn["urn:mamori:library:iso27001-2022"].frameworks[0];
        let annex_a = iso
            .nodes
            .iter()
            .filter(|n| n.assessable && n.ref_id.as_deref().is_some_and(|r| r.starts_with("A.")))
            .count();
        assert_eq!(annex_a, 93, "the 93 Annex A controls");
        let clauses: Vec<&str> = iso
            .nodes
            .iter()
            .filter(|n| n.depth == 1)
            .filter_map(|n| n.ref_id.as_deref())
            .collect();
        assert_eq!(clauses, ["4", "5", "6", "7", "8", "9", "10", "A"]);
        let policy = &by_urn["urn:mamori:library:group-basic-policy"].frameworks[0];
        assert_eq!(policy.nodes.iter().filter(|n| n.assessable).count(), 10);
        let appi = &by_urn["urn:mamori:library:appi-safety-measures"].frameworks[0];
        let categories: Vec<&str> = appi
            .nodes
            .iter()
            .filter(|n| n.depth == 1)
            .filter_map(|n| n.name.as_deref())
            .collect();
        assert_eq!(categories.len(), 7, "{categories:?}");
    }

    #[test]
    fn mistakes_in_our_format_are_named() {
        let text = "\
format: mamori-library/1
urn: urn:mamori:library:t
name: T
framework:
  urn: urn:mamori:framework:t
  name: T
  requirements:
  - ref_id: \"1\"
    requirements:
    - name: no ref_id, no urn
  - ref_id: \"1\"
";
        let errors = parse_mamori(text).expect_err("mistakes");
        let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "framework.requirements[0].requirements[0]: needs a ref_id or a urn",
                "framework.requirements[1].urn: urn:mamori:framework:t:1 is used twice in this library",
            ]
        );
        let unknown = parse_mamori("format: mamori-library/1\nurn: urn:x\nname: X\ncolour: red\n")
            .expect_err("unknown key");
        assert!(unknown[0].reason.contains("colour"), "{unknown:?}");
        let future = parse_mamori("format: mamori-library/9\nurn: urn:x\nname: X\nreference_controls: [{urn: \"urn:x:c\"}]\n")
            .expect_err("a later format");
        assert_eq!(future[0].at, "format");
    }
}
