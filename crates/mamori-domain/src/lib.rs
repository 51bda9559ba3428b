//! mamori's domain: the information-security program's concepts and rules.
//!
//! Boundary: no IO, no async, no clock reads (time is always a parameter), no
//! database and no HTTP types. Everything here is plain data and pure
//! functions, so the store, the server and the CLI agree on one meaning.

pub mod authz;
pub mod breach;
pub mod classification;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod fiscal;
pub mod jp_calendar;
pub mod library;
pub mod library_format;
pub mod org;
pub mod password;
pub mod register;
pub mod registers;
pub mod settings;

pub use error::{DomainError, FieldError};
