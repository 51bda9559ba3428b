//! Group structure: the group, its companies, departments, people and roles.

use serde::{Deserialize, Serialize};

/// A role a user holds in one company, or across the whole group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CisoOffice,
    CommitteeMember,
    SecurityOfficer,
    Csirt,
    InternalAuditor,
    ExternalAuditor,
    Employee,
    Hr,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::CisoOffice,
        Role::CommitteeMember,
        Role::SecurityOfficer,
        Role::Csirt,
        Role::InternalAuditor,
        Role::ExternalAuditor,
        Role::Employee,
        Role::Hr,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CisoOffice => "ciso_office",
            Role::CommitteeMember => "committee_member",
            Role::SecurityOfficer => "security_officer",
            Role::Csirt => "csirt",
            Role::InternalAuditor => "internal_auditor",
            Role::ExternalAuditor => "external_auditor",
            Role::Employee => "employee",
            Role::Hr => "hr",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// An external auditor's access must end: the assignment needs an expiry.
    pub fn requires_expiry(self) -> bool {
        matches!(self, Role::ExternalAuditor)
    }
}

/// Whether a person is employed by the company or works for it under contract.
pub const EMPLOYMENT_KINDS: &[&str] = &["employee", "contractor"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
