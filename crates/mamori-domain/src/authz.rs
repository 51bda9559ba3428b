//! Who may do what: one table of role → allowed actions per register.
//!
//! The server asks this table for every request and scopes every query by the
//! companies where the principal holds a role that allows the action. The
//! integration tests walk this whole table over HTTP.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::org::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Archive,
    Export,
    Import,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Archive,
        Action::Export,
        Action::Import,
    ];
}

use Action::*;

const EVERYTHING: &[Action] = &[Read, Create, Update, Archive, Export, Import];
const READ_EXPORT: &[Action] = &[Read, Export];
const READ: &[Action] = &[Read];
const NOTHING: &[Action] = &[];

/// The permission table. A register not named for a role allows nothing.
const TABLE: &[(Role, &str, &[Action])] = &[
    (Role::Admin, "people", EVERYTHING),
    (Role::Admin, "assets", EVERYTHING),
    (Role::CisoOffice, "people", EVERYTHING),
    (Role::CisoOffice, "assets", EVERYTHING),
    (Role::CommitteeMember, "people", READ),
    (Role::CommitteeMember, "assets", READ),
    (Role::SecurityOfficer, "people", EVERYTHING),
    (Role::SecurityOfficer, "assets", EVERYTHING),
    (Role::Csirt, "people", READ),
    (Role::Csirt, "assets", READ_EXPORT),
    (Role::InternalAuditor, "people", READ_EXPORT),
    (Role::InternalAuditor, "assets", READ_EXPORT),
    (Role::ExternalAuditor, "people", READ),
    (Role::ExternalAuditor, "assets", READ_EXPORT),
    (Role::Employee, "people", NOTHING),
    (Role::Employee, "assets", NOTHING),
    (Role::Hr, "people", READ_EXPORT),
    (Role::Hr, "assets", NOTHING),
    (Role::Admin, "committees", EVERYTHING),
    (Role::Admin, "committee_members", EVERYTHING),
    (Role::CisoOffice, "committees", EVERYTHING),
    (Role::CisoOffice, "committee_members", EVERYTHING),
    (Role::CommitteeMember, "committees", READ_EXPORT),
    (Role::CommitteeMember, "committee_members", READ_EXPORT),
    (Role::SecurityOfficer, "committees", READ),
    (Role::SecurityOfficer, "committee_members", READ),
    (Role::Csirt, "committees", READ),
    (Role::Csirt, "committee_members", READ),
    (Role::InternalAuditor, "committees", READ_EXPORT),
    (Role::InternalAuditor, "committee_members", READ_EXPORT),
    (Role::ExternalAuditor, "committees", READ),
    (Role::ExternalAuditor, "committee_members", READ),
    (Role::Employee, "committees", NOTHING),
    (Role::Employee, "committee_members", NOTHING),
    (Role::Hr, "committees", NOTHING),
    (Role::Hr, "committee_members", NOTHING),
    (Role::Admin, "departments", EVERYTHING),
    (Role::CisoOffice, "departments", EVERYTHING),
    (Role::SecurityOfficer, "departments", EVERYTHING),
    (Role::Hr, "departments", READ_EXPORT),
    (Role::CommitteeMember, "departments", READ),
    (Role::Csirt, "departments", READ),
    (Role::InternalAuditor, "departments", READ_EXPORT),
    (Role::ExternalAuditor, "departments", READ),
    (Role::Employee, "departments", NOTHING),
    // Alerts: Create is "may send events to be detected on" (ingest; people
    // never create alerts by hand); Update is triage (status changes).
    (Role::Admin, "alerts", EVERYTHING),
    (Role::CisoOffice, "alerts", EVERYTHING),
    (Role::Csirt, "alerts", EVERYTHING),
    (Role::SecurityOfficer, "alerts", READ_EXPORT),
    (Role::CommitteeMember, "alerts", READ),
    (Role::InternalAuditor, "alerts", READ_EXPORT),
    (Role::ExternalAuditor, "alerts", READ),
    (Role::Employee, "alerts", NOTHING),
    (Role::Hr, "alerts", NOTHING),
    // Risks: each company's security officers assess their own; the CISO
    // office runs the register group-wide; committees and auditors read.
    (Role::Admin, "risks", EVERYTHING),
    (Role::CisoOffice, "risks", EVERYTHING),
    (Role::SecurityOfficer, "risks", EVERYTHING),
    (Role::CommitteeMember, "risks", READ_EXPORT),
    (Role::Csirt, "risks", READ),
    (Role::InternalAuditor, "risks", READ_EXPORT),
    (Role::ExternalAuditor, "risks", READ_EXPORT),
    (Role::Employee, "risks", NOTHING),
    (Role::Hr, "risks", NOTHING),
    // Cloud-service assessments: like risks.
    (Role::Admin, "cloud_assessments", EVERYTHING),
    (Role::CisoOffice, "cloud_assessments", EVERYTHING),
    (Role::SecurityOfficer, "cloud_assessments", EVERYTHING),
    (Role::CommitteeMember, "cloud_assessments", READ_EXPORT),
    (Role::Csirt, "cloud_assessments", READ),
    (Role::InternalAuditor, "cloud_assessments", READ_EXPORT),
    (Role::ExternalAuditor, "cloud_assessments", READ_EXPORT),
    (Role::Employee, "cloud_assessments", NOTHING),
    (Role::Hr, "cloud_assessments", NOTHING),
    // Applicability and implementation: each company's officers keep their
    // own; the CISO office the group's. Create is adopting a framework.
    (Role::Admin, "requirement_assessments", EVERYTHING),
    (Role::CisoOffice, "requirement_assessments", EVERYTHING),
    (Role::SecurityOfficer, "requirement_assessments", EVERYTHING),
    (
        Role::CommitteeMember,
        "requirement_assessments",
        READ_EXPORT,
    ),
    (Role::Csirt, "requirement_assessments", READ),
    (
        Role::InternalAuditor,
        "requirement_assessments",
        READ_EXPORT,
    ),
    (
        Role::ExternalAuditor,
        "requirement_assessments",
        READ_EXPORT,
    ),
    (Role::Employee, "requirement_assessments", NOTHING),
    (Role::Hr, "requirement_assessments", NOTHING),
    // Controls: each company's officers keep their own; the CISO office
    // the group's.
    (Role::Admin, "controls", EVERYTHING),
    (Role::CisoOffice, "controls", EVERYTHING),
    (Role::SecurityOfficer, "controls", EVERYTHING),
    (Role::CommitteeMember, "controls", READ_EXPORT),
    (Role::Csirt, "controls", READ),
    (Role::InternalAuditor, "controls", READ_EXPORT),
    (Role::ExternalAuditor, "controls", READ_EXPORT),
    (Role::Employee, "controls", NOTHING),
    (Role::Hr, "controls", NOTHING),
    // Incidents: the CSIRT handles them group-wide; each company's officers
    // report and follow their own.
    (Role::Admin, "incidents", EVERYTHING),
    (Role::CisoOffice, "incidents", EVERYTHING),
    (Role::Csirt, "incidents", EVERYTHING),
    (
        Role::SecurityOfficer,
        "incidents",
        &[Read, Create, Update, Export],
    ),
    (Role::CommitteeMember, "incidents", READ_EXPORT),
    (Role::InternalAuditor, "incidents", READ_EXPORT),
    (Role::ExternalAuditor, "incidents", READ),
    (Role::Employee, "incidents", NOTHING),
    (Role::Hr, "incidents", NOTHING),
    // Incident tasks follow incidents; playbooks are each company's own,
    // kept by the CSIRT and its officers.
    (Role::Admin, "incident_tasks", EVERYTHING),
    (Role::CisoOffice, "incident_tasks", EVERYTHING),
    (Role::Csirt, "incident_tasks", EVERYTHING),
    (
        Role::SecurityOfficer,
        "incident_tasks",
        &[Read, Create, Update, Export],
    ),
    (Role::CommitteeMember, "incident_tasks", READ_EXPORT),
    (Role::InternalAuditor, "incident_tasks", READ_EXPORT),
    (Role::ExternalAuditor, "incident_tasks", READ),
    (Role::Employee, "incident_tasks", NOTHING),
    (Role::Hr, "incident_tasks", NOTHING),
    // The team follows incidents.
    (Role::Admin, "incident_team", EVERYTHING),
    (Role::CisoOffice, "incident_team", EVERYTHING),
    (Role::Csirt, "incident_team", EVERYTHING),
    (
        Role::SecurityOfficer,
        "incident_team",
        &[Read, Create, Update, Export],
    ),
    (Role::CommitteeMember, "incident_team", READ_EXPORT),
    (Role::InternalAuditor, "incident_team", READ_EXPORT),
    (Role::ExternalAuditor, "incident_team", READ),
    (Role::Employee, "incident_team", NOTHING),
    (Role::Hr, "incident_team", NOTHING),
    (Role::Admin, "playbooks", EVERYTHING),
    (Role::CisoOffice, "playbooks", EVERYTHING),
    (Role::Csirt, "playbooks", EVERYTHING),
    (Role::SecurityOfficer, "playbooks", EVERYTHING),
    (Role::CommitteeMember, "playbooks", READ_EXPORT),
    (Role::InternalAuditor, "playbooks", READ_EXPORT),
    (Role::ExternalAuditor, "playbooks", READ),
    (Role::Employee, "playbooks", NOTHING),
    (Role::Hr, "playbooks", NOTHING),
    // Disclosures: drafted by the CSIRT and officers, published by the CISO
    // office (the kernel's lifecycle and approver rule apply to all).
    (Role::Admin, "disclosures", EVERYTHING),
    (Role::CisoOffice, "disclosures", EVERYTHING),
    (Role::Csirt, "disclosures", &[Read, Create, Update, Export]),
    (
        Role::SecurityOfficer,
        "disclosures",
        &[Read, Create, Update, Export],
    ),
    (Role::CommitteeMember, "disclosures", READ_EXPORT),
    (Role::InternalAuditor, "disclosures", READ_EXPORT),
    (Role::ExternalAuditor, "disclosures", READ),
    (Role::Employee, "disclosures", NOTHING),
    (Role::Hr, "disclosures", NOTHING),
    // Corrective actions: kept by the CISO office, the CSIRT and each
    // company's officers.
    (Role::Admin, "corrective_actions", EVERYTHING),
    (Role::CisoOffice, "corrective_actions", EVERYTHING),
    (Role::Csirt, "corrective_actions", EVERYTHING),
    (Role::SecurityOfficer, "corrective_actions", EVERYTHING),
    (Role::CommitteeMember, "corrective_actions", READ_EXPORT),
    (Role::InternalAuditor, "corrective_actions", READ_EXPORT),
    (Role::ExternalAuditor, "corrective_actions", READ_EXPORT),
    (Role::Employee, "corrective_actions", NOTHING),
    (Role::Hr, "corrective_actions", NOTHING),
    // The on-duty roster and escalation rules: kept by the CISO office
    // and the CSIRT, each company's officers keep their own; drill injects
    // are written by whoever designs the exercise.
    (Role::Admin, "duty_shifts", EVERYTHING),
    (Role::CisoOffice, "duty_shifts", EVERYTHING),
    (Role::Csirt, "duty_shifts", EVERYTHING),
    (Role::SecurityOfficer, "duty_shifts", EVERYTHING),
    (Role::CommitteeMember, "duty_shifts", READ),
    (Role::InternalAuditor, "duty_shifts", READ_EXPORT),
    (Role::ExternalAuditor, "duty_shifts", READ),
    (Role::Employee, "duty_shifts", NOTHING),
    (Role::Hr, "duty_shifts", NOTHING),
    (Role::Admin, "escalation_rules", EVERYTHING),
    (Role::CisoOffice, "escalation_rules", EVERYTHING),
    (Role::Csirt, "escalation_rules", EVERYTHING),
    (Role::SecurityOfficer, "escalation_rules", EVERYTHING),
    (Role::CommitteeMember, "escalation_rules", READ),
    (Role::InternalAuditor, "escalation_rules", READ_EXPORT),
    (Role::ExternalAuditor, "escalation_rules", READ),
    (Role::Employee, "escalation_rules", NOTHING),
    (Role::Hr, "escalation_rules", NOTHING),
    (Role::Admin, "drill_injects", EVERYTHING),
    (Role::CisoOffice, "drill_injects", EVERYTHING),
    (Role::Csirt, "drill_injects", EVERYTHING),
    (Role::SecurityOfficer, "drill_injects", EVERYTHING),
    (Role::CommitteeMember, "drill_injects", READ),
    (Role::InternalAuditor, "drill_injects", READ_EXPORT),
    (Role::ExternalAuditor, "drill_injects", READ),
    (Role::Employee, "drill_injects", NOTHING),
    (Role::Hr, "drill_injects", NOTHING),
    // Compliance assessments come from campaigns the CISO office launches
    // (Create); each company's officers work and submit their own.
    (Role::Admin, "compliance_assessments", EVERYTHING),
    (Role::CisoOffice, "compliance_assessments", EVERYTHING),
    (
        Role::SecurityOfficer,
        "compliance_assessments",
        &[Read, Update, Export],
    ),
    (Role::CommitteeMember, "compliance_assessments", READ_EXPORT),
    (Role::Csirt, "compliance_assessments", NOTHING),
    (Role::InternalAuditor, "compliance_assessments", READ_EXPORT),
    (Role::ExternalAuditor, "compliance_assessments", READ_EXPORT),
    (Role::Employee, "compliance_assessments", NOTHING),
    (Role::Hr, "compliance_assessments", NOTHING),
    // The customer-data vault (people affected by incidents): only those who
    // notify them — the CSIRT and the CISO office. Administrators do not
    // read customers' data.
    (Role::Admin, "vault", NOTHING),
    (Role::CisoOffice, "vault", &[Read, Create]),
    (Role::Csirt, "vault", &[Read, Create]),
    (Role::SecurityOfficer, "vault", NOTHING),
    (Role::CommitteeMember, "vault", NOTHING),
    (Role::InternalAuditor, "vault", NOTHING),
    (Role::ExternalAuditor, "vault", NOTHING),
    (Role::Employee, "vault", NOTHING),
    (Role::Hr, "vault", NOTHING),
    // Framework libraries are group-wide reference data: loaded by the CISO
    // office (Import), read by everyone who works on compliance.
    (Role::Admin, "libraries", EVERYTHING),
    (Role::CisoOffice, "libraries", EVERYTHING),
    (Role::SecurityOfficer, "libraries", READ_EXPORT),
    (Role::CommitteeMember, "libraries", READ),
    (Role::Csirt, "libraries", READ),
    (Role::InternalAuditor, "libraries", READ_EXPORT),
    (Role::ExternalAuditor, "libraries", READ_EXPORT),
    (Role::Employee, "libraries", NOTHING),
    (Role::Hr, "libraries", NOTHING),
];

/// Permission areas that are not kernel registers.
pub const OTHER_AREAS: &[&str] = &["libraries", "vault"];

/// Whether `role` may do `action` on `register`, in a company where it holds.
pub fn allows(role: Role, register: &str, action: Action) -> bool {
    TABLE
        .iter()
        .any(|(r, reg, actions)| *r == role && *reg == register && actions.contains(&action))
}

/// One role held by a user: in one company, or group-wide (`company_id` None).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub role: Role,
    pub company_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The companies an action may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every company of the group.
    All,
    /// Only these (possibly none).
    Companies(Vec<Uuid>),
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Companies(c) if c.is_empty())
    }

    pub fn contains(&self, company: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Companies(c) => c.contains(&company),
        }
    }
}

/// An authenticated user with the roles still in force at `now`.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub assignments: Vec<Assignment>,
    /// For API tokens: the registers/actions the token was limited to
    /// (`None` for an interactive session).
    pub token_scopes: Option<Vec<String>>,
}

impl Principal {
    /// The companies where this principal may do `action` on `register` at `now`.
    pub fn scope(&self, register: &str, action: Action, now: DateTime<Utc>) -> Scope {
        if !self.token_allows(register, action) {
            return Scope::Companies(Vec::new());
        }
        let mut companies = Vec::new();
        for a in &self.assignments {
            if a.expires_at.is_some_and(|at| at <= now) || !allows(a.role, register, action) {
                continue;
            }
            match a.company_id {
                None => return Scope::All,
                Some(c) if !companies.contains(&c) => companies.push(c),
                Some(_) => {}
            }
        }
        Scope::Companies(companies)
    }

    pub fn has_role(&self, role: Role, now: DateTime<Utc>) -> bool {
        self.assignments
            .iter()
            .any(|a| a.role == role && a.expires_at.is_none_or(|at| at > now))
    }

    /// Token scopes are written `register:action` (`assets:read`), `register:*`
    /// or `*` for everything the user may do.
    fn token_allows(&self, register: &str, action: Action) -> bool {
        let Some(scopes) = &self.token_scopes else {
            return true;
        };
        let action = action_code(action);
        scopes.iter().any(|s| {
            s == "*"
                || s == &format!("{register}:*")
                || s == &format!("{register}:{action}")
                || (s == "ingest" && register == "alerts" && action == "create")
        })
    }
}

pub fn action_code(action: Action) -> &'static str {
    match action {
        Read => "read",
        Create => "create",
        Update => "update",
        Archive => "archive",
        Export => "export",
        Import => "import",
    }
}

/// Checks a token scope string against the registers that exist.
/// `ingest` is short for `alerts:create` (send events to be detected on).
pub fn valid_token_scope(scope: &str, registers: &[&str]) -> bool {
    if scope == "*" || scope == "ingest" {
        return true;
    }
    let Some((register, action)) = scope.split_once(':') else {
        return false;
    };
    registers.contains(&register)
        && (action == "*" || Action::ALL.iter().any(|a| action_code(*a) == action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(assignments: Vec<Assignment>) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "t".into(),
            assignments,
            token_scopes: None,
        }
    }

    #[test]
    fn scope_follows_companies_and_expiry() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("valid timestamp");
        let a = Uuid::from_u128(1);
        let p = principal(vec![
            Assignment {
                role: Role::ExternalAuditor,
                company_id: Some(a),
                expires_at: Some(now + chrono::Duration::days(1)),
            },
            Assignment {
                role: Role::SecurityOfficer,
                company_id: Some(Uuid::from_u128(2)),
                expires_at: Some(now - chrono::Duration::days(1)),
            },
        ]);
        assert_eq!(p.scope("assets", Read, now), Scope::Companies(vec![a]));
        assert!(p.scope("assets", Create, now).is_empty());
        let group = principal(vec![Assignment {
            role: Role::CisoOffice,
            company_id: None,
            expires_at: None,
        }]);
        assert_eq!(group.scope("people", Update, now), Scope::All);
    }

    #[test]
    fn token_scopes_narrow() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("valid timestamp");
        let mut p = principal(vec![Assignment {
            role: Role::Admin,
            company_id: None,
            expires_at: None,
        }]);
        p.token_scopes = Some(vec!["assets:read".into()]);
        assert_eq!(p.scope("assets", Read, now), Scope::All);
        assert!(p.scope("assets", Update, now).is_empty());
        assert!(p.scope("people", Read, now).is_empty());
        assert!(valid_token_scope("assets:*", &["assets"]));
        assert!(!valid_token_scope("assets:delete", &["assets"]));
        p.token_scopes = Some(vec!["ingest".into()]);
        assert_eq!(p.scope("alerts", Create, now), Scope::All);
        assert!(p.scope("alerts", Read, now).is_empty());
    }
}
