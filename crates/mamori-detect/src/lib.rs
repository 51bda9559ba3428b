//! mamori's detection engine: events in, alerts out.
//!
//! Boundary: no database, no HTTP, no global state, no clock reads. Given the
//! same events (and, where a parser needs one, the same reference time) it
//! gives the same answer, so the server, `mamori detect` over files and the
//! benchmarks run one engine.
//!
//! The crate holds the event model ([`event`], and [`record`] for the fast
//! path), the parsers for JSON lines, syslog (RFC 5424 and RFC 3164) and CEF
//! ([`parse`]), the field vocabulary that rules and sources meet in
//! ([`normalize`]), threat intelligence indicator sets ([`indicators`]),
//! Sigma rules ([`sigma`]) with their candidate index ([`compiled`]) and
//! native correlations ([`correlate`]), mamori's own rules ([`builtin`]),
//! a traffic generator ([`synthetic`]) and the batch API that runs them all
//! ([`engine`]).

pub mod builtin;
pub mod compiled;
pub mod correlate;
mod dfa;
pub mod engine;
pub mod event;
pub mod indicators;
pub mod normalize;
pub mod parse;
mod plan;
pub mod record;
pub mod sigma;
pub mod synthetic;

pub use event::{Event, Value};
