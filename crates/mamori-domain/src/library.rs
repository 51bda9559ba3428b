//! Framework libraries: frameworks with their requirement trees, reference
//! controls, and mapping sets between frameworks' requirements.
//!
//! [`parse_ciso_assistant`] reads CISO Assistant's library format (YAML: a
//! header with `urn`, `ref_id`, `name`, `version`, `locale`, `dependencies`,
//! and `objects` holding `framework`, `reference_controls` and
//! `requirement_mapping_sets`), so a user can bring any of that project's
//! libraries. The result is checked as a whole: unique URNs, every parent
//! known before its children, depths that follow the tree, known mapping
//! relationships (mapping ends lie in other libraries: they are checked
//! when stored). Errors name the
//! place in the file (`objects.framework.requirement_nodes[12].parent_urn`,
//! or the line and column of a YAML error) and the reason.
//!
//! Pure: text in, a [`Library`] or errors out; storing it is the store's.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

/// A library as mamori keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Library {
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub name_ja: Option<String>,
    pub description: Option<String>,
    pub locale: String,
    pub version: i64,
    pub provider: Option<String>,
    /// Libraries this one refers into (their URNs).
    pub dependencies: Vec<String>,
    pub frameworks: Vec<Framework>,
    pub reference_controls: Vec<ReferenceControl>,
    pub mapping_sets: Vec<MappingSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub name_ja: Option<String>,
    pub description: Option<String>,
    /// The requirement tree, parents before their children, in file order.
    pub nodes: Vec<RequirementNode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequirementNode {
    pub urn: String,
    /// `None` for a node at the top of the framework.
    pub parent_urn: Option<String>,
    pub ref_id: Option<String>,
    pub name: Option<String>,
    /// The name in Japanese, when the library has one.
    pub name_ja: Option<String>,
    pub description: Option<String>,
    /// Whether the node is assessed (a requirement) or only groups others.
    pub assessable: bool,
    /// 1 at the top.
    pub depth: u32,
    /// Reference controls that implement it (URNs, possibly of a
    /// dependency).
    pub reference_controls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceControl {
    pub urn: String,
    pub ref_id: Option<String>,
    pub name: Option<String>,
    pub name_ja: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MappingSet {
    pub urn: String,
    pub ref_id: Option<String>,
    pub name: Option<String>,
    pub source_framework_urn: String,
    pub target_framework_urn: String,
    pub mappings: Vec<Mapping>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub source_requirement_urn: String,
    pub target_requirement_urn: String,
    /// `equal`, `subset`, `superset`, `intersect` or `not_related`.
    pub relationship: String,
}

/// Relationships a mapping may state (CISO Assistant's, after ISO/IEC
/// TR 24772's set theory of requirements).
pub const RELATIONSHIPS: &[&str] = &["equal", "subset", "superset", "intersect", "not_related"];

/// What is wrong, and where in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryError {
    /// A path into the document (`objects.framework.requirement_nodes[3].urn`)
    /// or `line L column C` for a YAML error.
    pub at: String,
    pub reason: String,
}

impl fmt::Display for LibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// Largest library text taken (the biggest of CISO Assistant's are a few MB).
pub const MAX_LIBRARY_BYTES: usize = 32 * 1024 * 1024;

// ---- the file as written ----

#[derive(Deserialize)]
struct RawLibrary {
    urn: Option<String>,
    ref_id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    translations: Translations,
    description: Option<String>,
    locale: Option<String>,
    version: Option<i64>,
    provider: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    objects: Option<RawObjects>,
}

#[derive(Deserialize, Default)]
struct RawObjects {
    framework: Option<RawFramework>,
    #[serde(default)]
    reference_controls: Vec<RawControl>,
    #[serde(default)]
    requirement_mapping_sets: Vec<RawMappingSet>,
}

#[derive(Deserialize)]
struct RawFramework {
    urn: Option<String>,
    ref_id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    translations: Translations,
    description: Option<String>,
    #[serde(default)]
    requirement_nodes: Vec<RawNode>,
}

#[derive(Deserialize)]
struct RawNode {
    urn: Option<String>,
    parent_urn: Option<String>,
    ref_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    assessable: bool,
    depth: Option<u32>,
    #[serde(default)]
    reference_controls: Vec<String>,
    #[serde(default)]
    translations: Translations,
}

#[derive(Deserialize)]
struct RawControl {
    urn: Option<String>,
    ref_id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    translations: Translations,
    category: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct RawMappingSet {
    urn: Option<String>,
    ref_id: Option<String>,
    name: Option<String>,
    source_framework_urn: Option<String>,
    target_framework_urn: Option<String>,
    #[serde(default)]
    requirement_mappings: Vec<RawMapping>,
}

#[derive(Deserialize)]
struct RawMapping {
    source_requirement_urn: Option<String>,
    target_requirement_urn: Option<String>,
    relationship: Option<String>,
}

/// CISO Assistant's `translations`: per locale, a name (and more).
type Translations = HashMap<String, RawTranslation>;

#[derive(Deserialize)]
struct RawTranslation {
    name: Option<String>,
}

/// The Japanese name: the library's own when it is written in Japanese,
/// else its `ja` translation.
fn japanese(locale: &str, name: &Option<String>, translations: &Translations) -> Option<String> {
    if locale == "ja" {
        return name.clone();
    }
    translations.get("ja").and_then(|t| t.name.clone())
}

/// Collects errors while the raw file becomes a [`Library`].
#[derive(Default)]
struct Check {
    errors: Vec<LibraryError>,
}

impl Check {
    fn fail(&mut self, at: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(LibraryError {
            at: at.into(),
            reason: reason.into(),
        });
    }

    /// A required text: present, not blank, one line for URNs.
    fn required(&mut self, at: &str, value: Option<String>) -> String {
        match value.map(|v| v.trim().to_owned()) {
            Some(v) if !v.is_empty() => v,
            _ => {
                self.fail(at, "is required");
                String::new()
            }
        }
    }

    fn urn(&mut self, at: &str, value: Option<String>, seen: &mut HashSet<String>) -> String {
        let urn = self.required(at, value);
        if urn.is_empty() {
            return urn;
        }
        if !urn.starts_with("urn:") || urn.chars().any(char::is_whitespace) {
            self.fail(at, format!("{urn:?} is not a URN (urn:…, no spaces)"));
        } else if !seen.insert(urn.to_lowercase()) {
            self.fail(at, format!("{urn} is used twice in this library"));
        }
        urn
    }
}

/// Reads a library in CISO Assistant's format.
pub fn parse_ciso_assistant(text: &str) -> Result<Library, Vec<LibraryError>> {
    if text.len() > MAX_LIBRARY_BYTES {
        return Err(vec![LibraryError {
            at: "the file".into(),
            reason: format!("is larger than {MAX_LIBRARY_BYTES} bytes"),
        }]);
    }
    let raw: RawLibrary = yaml_serde::from_str(text).map_err(|e| {
        let at = e.location().map_or_else(
            || "the file".to_owned(),
            |l| format!("line {} column {}", l.line(), l.column()),
        );
        vec![LibraryError {
            at,
            reason: format!("not a library in CISO Assistant's format: {e}"),
        }]
    })?;
    let mut c = Check::default();
    let mut seen = HashSet::new();
    let locale = raw.locale.clone().unwrap_or_else(|| "en".into());
    let name_ja = japanese(&locale, &raw.name, &raw.translations);
    let urn = c.urn("urn", raw.urn, &mut seen);
    let name = c.required("name", raw.name);
    let ref_id = raw.ref_id.unwrap_or_else(|| name.clone());
    let objects = raw.objects.unwrap_or_default();

    let reference_controls: Vec<ReferenceControl> = objects
        .reference_controls
        .into_iter()
        .enumerate()
        .map(|(i, rc)| ReferenceControl {
            urn: c.urn(
                &format!("objects.reference_controls[{i}].urn"),
                rc.urn,
                &mut seen,
            ),
            ref_id: rc.ref_id,
            name_ja: japanese(&locale, &rc.name, &rc.translations),
            name: rc.name,
            category: rc.category,
            description: rc.description,
        })
        .collect();

    let mut frameworks = Vec::new();
    if let Some(f) = objects.framework {
        frameworks.push(framework(&mut c, f, &locale, &mut seen));
    }
    let mapping_sets: Vec<MappingSet> = objects
        .requirement_mapping_sets
        .into_iter()
        .enumerate()
        .map(|(i, m)| mapping_set(&mut c, i, m, &mut seen))
        .collect();
    if frameworks.is_empty() && reference_controls.is_empty() && mapping_sets.is_empty() {
        c.fail(
            "objects",
            "holds no framework, reference control or mapping set",
        );
    }
    if c.errors.is_empty() {
        Ok(Library {
            urn,
            ref_id,
            name,
            name_ja,
            description: raw.description,
            locale,
            version: raw.version.unwrap_or(1),
            provider: raw.provider,
            dependencies: raw.dependencies,
            frameworks,
            reference_controls,
            mapping_sets,
        })
    } else {
        Err(c.errors)
    }
}

fn framework(
    c: &mut Check,
    f: RawFramework,
    locale: &str,
    seen: &mut HashSet<String>,
) -> Framework {
    let urn = c.urn("objects.framework.urn", f.urn, seen);
    let name_ja = japanese(locale, &f.name, &f.translations);
    let name = c.required("objects.framework.name", f.name);
    // Depth of each node by URN, known once its parent is.
    let mut depth: HashMap<String, u32> = HashMap::new();
    let mut nodes = Vec::with_capacity(f.requirement_nodes.len());
    for (i, n) in f.requirement_nodes.into_iter().enumerate() {
        let at = format!("objects.framework.requirement_nodes[{i}]");
        let node_urn = c.urn(&format!("{at}.urn"), n.urn, seen);
        let parent = n
            .parent_urn
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        let level = match &parent {
            None => 1,
            Some(p) => match depth.get(&p.to_lowercase()) {
                Some(d) => d + 1,
                None => {
                    c.fail(
                        format!("{at}.parent_urn"),
                        format!("{p} is not a node written before this one in the framework"),
                    );
                    1
                }
            },
        };
        if let Some(written) = n.depth
            && written != level
        {
            c.fail(
                format!("{at}.depth"),
                format!("is {written}, but the node sits at depth {level} under its parents"),
            );
        }
        if n.ref_id.is_none() && n.name.is_none() && n.description.is_none() {
            c.fail(&at, "has no ref_id, name or description to show");
        }
        depth.insert(node_urn.to_lowercase(), level);
        nodes.push(RequirementNode {
            urn: node_urn,
            parent_urn: parent,
            ref_id: n.ref_id,
            name_ja: japanese(locale, &n.name, &n.translations),
            name: n.name,
            description: n.description,
            assessable: n.assessable,
            depth: level,
            reference_controls: n.reference_controls,
        });
    }
    Framework {
        urn,
        ref_id: f.ref_id.unwrap_or_else(|| name.clone()),
        name,
        name_ja,
        description: f.description,
        nodes,
    }
}

fn mapping_set(
    c: &mut Check,
    i: usize,
    m: RawMappingSet,
    seen: &mut HashSet<String>,
) -> MappingSet {
    let at = format!("objects.requirement_mapping_sets[{i}]");
    let urn = c.urn(&format!("{at}.urn"), m.urn, seen);
    let source = c.required(
        &format!("{at}.source_framework_urn"),
        m.source_framework_urn,
    );
    let target = c.required(
        &format!("{at}.target_framework_urn"),
        m.target_framework_urn,
    );
    let mappings = m
        .requirement_mappings
        .into_iter()
        .enumerate()
        .map(|(j, r)| {
            let at = format!("{at}.requirement_mappings[{j}]");
            let relationship = c.required(&format!("{at}.relationship"), r.relationship);
            if !relationship.is_empty() && !RELATIONSHIPS.contains(&relationship.as_str()) {
                c.fail(
                    format!("{at}.relationship"),
                    format!(
                        "{relationship:?} is not one of: {}",
                        RELATIONSHIPS.join(", ")
                    ),
                );
            }
            Mapping {
                source_requirement_urn: c.required(
                    &format!("{at}.source_requirement_urn"),
                    r.source_requirement_urn,
                ),
                target_requirement_urn: c.required(
                    &format!("{at}.target_requirement_urn"),
                    r.target_requirement_urn,
                ),
                relationship,
            }
        })
        .collect();
    MappingSet {
        urn,
        ref_id: m.ref_id,
        name: m.name,
        source_framework_urn: source,
        target_framework_urn: target,
        mappings,
    }
}

/// A CISO Assistant library fixture from the shared test data.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ciso-assistant-library")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts `prefix` lines in the file's text: an independent count of
    /// what the importer should have read.
    fn lines_starting(text: &str, prefix: &str) -> usize {
        text.lines().filter(|l| l.starts_with(prefix)).count()
    }

    #[test]
    fn iso27001_reads_with_its_tree_and_controls() {
        let text = fixture("iso27001-2022.yaml");
        let lib = parse_ciso_assistant(&text).expect("the ISO/IEC 27001 library reads");
        assert_eq!(lib.urn, "urn:intuitem:risk:library:iso27001-2022");
        assert_eq!(lib.frameworks.len(), 1);
        let f = &lib.frameworks[0];
        assert_eq!(f.urn, "urn:intuitem:risk:framework:iso27001-2022");
        assert_eq!(
            f.nodes.len(),
            lines_starting(&text, "    - urn: urn:intuitem:risk:req_node:")
        );
        assert_eq!(
            lib.reference_controls.len(),
            lines_starting(&text, "  - urn: urn:intuitem:risk:function:")
        );
        // The depths written in the file are the tree's (checked while
        // reading); every parent is a node of the framework.
        let urns: HashSet<&str> = f.nodes.iter().map(|n| n.urn.as_str()).collect();
        assert!(
            f.nodes
                .iter()
                .all(|n| n.parent_urn.as_deref().is_none_or(|p| urns.contains(p)))
        );
        let a5_1 = f
            .nodes
            .iter()
            .find(|n| n.ref_id.as_deref() == Some("A.5.1"))
            .expect("A.5.1");
        assert!(a5_1.assessable);
        let annex_a = f
            .nodes
            .iter()
            .filter(|n| n.assessable && n.ref_id.as_deref().is_some_and(|r| r.starts_with("A.")));
        assert_eq!(annex_a.count(), 93, "the 93 Annex A controls");
    }

    #[test]
    fn nist_csf_and_its_mapping_to_iso_read() {
        let text = fixture("nist-csf-2.0.yaml");
        let lib = parse_ciso_assistant(&text).expect("NIST CSF 2.0 reads");
        let f = &lib.frameworks[0];
        assert_eq!(
            f.nodes.len(),
            lines_starting(&text, "    - urn: urn:intuitem:risk:req_node:")
        );
        let functions: Vec<&str> = f
            .nodes
            .iter()
            .filter(|n| n.depth == 1)
            .filter_map(|n| n.ref_id.as_deref())
            .collect();
        assert_eq!(functions, ["GV", "ID", "PR", "DE", "RS", "RC"]);
        let text = fixture("mapping-nist-csf-2.0-to-iso27001-2022.yaml");
        let map = parse_ciso_assistant(&text).expect("the mapping set reads");
        assert!(map.frameworks.is_empty());
        // Both ways: NIST CSF to ISO/IEC 27001 and back.
        let ends: Vec<(&str, &str)> = map
            .mapping_sets
            .iter()
            .map(|s| {
                (
                    s.source_framework_urn.as_str(),
                    s.target_framework_urn.as_str(),
                )
            })
            .collect();
        let (nist, iso) = (
            "urn:intuitem:risk:framework:nist-csf-2.0",
            "urn:intuitem:risk:framework:iso27001-2022",
        );
        assert_eq!(ends, [(nist, iso), (iso, nist)]);
        assert_eq!(
            map.mapping_sets
                .iter()
                .map(|s| s.mappings.len())
                .sum::<usize>(),
            lines_starting(&text, "    - source_requirement_urn:")
        );
        assert_eq!(map.dependencies.len(), 2);
    }

    #[test]
    fn bad_files_are_refused_with_the_place_and_reason() {
        let yaml_error = parse_ciso_assistant("urn: [unclosed\n").expect_err("bad YAML");
        assert!(yaml_error[0].at.starts_with("line "), "{:?}", yaml_error);
        let broken = "\
urn: urn:x:library:test
name: Test
objects:
  framework:
    urn: urn:x:framework:test
    name: Test
    requirement_nodes:
    - urn: urn:x:node:a
      ref_id: A
      depth: 1
    - urn: urn:x:node:b
      parent_urn: urn:x:node:missing
      ref_id: B
    - urn: urn:x:node:a
      parent_urn: urn:x:node:a
      ref_id: A2
      depth: 3
  requirement_mapping_sets:
  - urn: urn:x:set
    source_framework_urn: urn:x:framework:test
    target_framework_urn: urn:x:framework:other
    requirement_mappings:
    - source_requirement_urn: urn:x:node:a
      target_requirement_urn: urn:x:node:z
      relationship: overlaps
";
        let errors = parse_ciso_assistant(broken).expect_err("broken references");
        let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "objects.framework.requirement_nodes[1].parent_urn: urn:x:node:missing is not a node written before this one in the framework",
                "objects.framework.requirement_nodes[2].urn: urn:x:node:a is used twice in this library",
                "objects.framework.requirement_nodes[2].depth: is 3, but the node sits at depth 2 under its parents",
                "objects.requirement_mapping_sets[0].requirement_mappings[0].relationship: \"overlaps\" is not one of: equal, subset, superset, intersect, not_related",
            ]
        );
        let empty = parse_ciso_assistant("urn: urn:x:l\nname: Empty\n").expect_err("nothing in it");
        assert_eq!(empty[0].at, "objects");
    }
}
