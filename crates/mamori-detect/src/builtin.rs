//! mamori's own detection content, compiled into the binary. The YAML files
//! live in `rules/` beside this crate, where they can be read and reviewed.

use std::path::Path;

use crate::sigma::{LoadError, SigmaRules};

/// File name and text of every built-in rule file.
pub const RULES: &[(&str, &str)] = &[
    (
        "customer_account_takeover.yml",
        include_str!("../rules/customer_account_takeover.yml"),
    ),
    (
        "customer_credential_stuffing.yml",
        include_str!("../rules/customer_credential_stuffing.yml"),
    ),
    (
        "customer_data_bulk_read.yml",
        include_str!("../rules/customer_data_bulk_read.yml"),
    ),
    (
        "customer_data_night_read.yml",
        include_str!("../rules/customer_data_night_read.yml"),
    ),
    (
        "employee_password_spraying.yml",
        include_str!("../rules/employee_password_spraying.yml"),
    ),
    (
        "endpoint_malware.yml",
        include_str!("../rules/endpoint_malware.yml"),
    ),
    (
        "mamori_login_attack.yml",
        include_str!("../rules/mamori_login_attack.yml"),
    ),
];

impl SigmaRules {
    /// Adds mamori's built-in rules.
    pub fn load_builtin(&mut self) -> (usize, Vec<LoadError>) {
        let mut added = 0;
        let mut errors = Vec::new();
        for (name, yaml) in RULES {
            let (n, e) = self.add_yaml(yaml, Path::new("builtin").join(name).as_path());
            added += n;
            errors.extend(e);
        }
        (added, errors)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_file_is_built_in_and_loads() {
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
            .expect("rules folder")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yml"))
            })
            .count();
        assert_eq!(
            on_disk,
            super::RULES.len(),
            "add new rule files to builtin.rs"
        );
        let mut rules = crate::sigma::SigmaRules::new(crate::normalize::FieldMap::default());
        let (added, errors) = rules.load_builtin();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(added >= 12);
    }
}
