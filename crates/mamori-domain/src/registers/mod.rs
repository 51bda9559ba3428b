//! The registers mamori keeps. Each is a spec and its rules; see
//! [`crate::register`] for what the kernel derives from them.

mod assets;
mod committees;
mod departments;
mod people;

pub use assets::{ASSET_KINDS, ASSETS};
pub use committees::{COMMITTEE_MEMBERS, COMMITTEE_ROLES, COMMITTEES};
pub use departments::DEPARTMENTS;
pub use people::PEOPLE;

use crate::register::RegisterSpec;

/// Every register, in navigation order.
pub const ALL: &[&RegisterSpec] = &[
    &PEOPLE,
    &DEPARTMENTS,
    &ASSETS,
    &COMMITTEES,
    &COMMITTEE_MEMBERS,
];

pub fn by_name(name: &str) -> Option<&'static RegisterSpec> {
    ALL.iter().copied().find(|r| r.name == name)
}
