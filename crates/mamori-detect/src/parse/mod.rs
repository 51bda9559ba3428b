//! Parsers from raw lines to [`Event`]s: JSON lines, syslog (RFC 5424 and
//! RFC 3164) and CEF. A syslog message whose body is CEF or JSON is parsed
//! further. Every parser answers a [`ParseError`] that says what is wrong,
//! never panics, and bounds what it accepts.

mod cef;
mod json;
mod scan;
mod syslog;

use chrono::{DateTime, Utc};

pub use cef::parse_cef;
pub use json::{TIME_FIELDS, parse_json};
pub use scan::scan_json;
use scan::{ScanState, scan_json_with};
pub use syslog::parse_syslog;

use crate::event::Event;
use crate::normalize::FieldMap;
use crate::record::{Record, Schema};
use std::sync::Arc;

/// The longest line any parser takes (bytes).
pub const MAX_LINE: usize = 256 * 1024;
/// The deepest JSON nesting flattened.
pub const MAX_DEPTH: usize = 16;
/// The most fields one event may have.
pub const MAX_FIELDS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the line is empty")]
    Empty,
    #[error("the line is longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("not JSON: {0}")]
    Json(String),
    #[error("a JSON event must be an object")]
    NotObject,
    #[error("more than {MAX_FIELDS} fields")]
    TooManyFields,
    #[error("not syslog: {0}")]
    Syslog(String),
    #[error("not CEF: {0}")]
    Cef(String),
    #[error("the line is neither JSON, syslog nor CEF")]
    Unrecognized,
}

/// Which parser a stream of lines needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Syslog,
    Cef,
    /// Decide per line: `{` → JSON, `<` → syslog, `CEF:` → CEF.
    Auto,
}

impl Format {
    pub fn parse_name(name: &str) -> Option<Format> {
        match name {
            "json" | "jsonl" | "ndjson" => Some(Format::JsonLines),
            "syslog" => Some(Format::Syslog),
            "cef" => Some(Format::Cef),
            "auto" => Some(Format::Auto),
            _ => None,
        }
    }
}

/// Parses one line in `format` and normalizes its field names.
/// `reference` supplies what a line may leave out (the year of an RFC 3164
/// timestamp); it is never read from the clock here.
pub fn parse_line(
    line: &str,
    format: Format,
    fields: &FieldMap,
    reference: DateTime<Utc>,
) -> Result<Event, ParseError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.len() > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    if line.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut event = match format {
        Format::JsonLines => parse_json(line)?,
        Format::Syslog => parse_syslog(line, reference)?,
        Format::Cef => parse_cef(line)?,
        Format::Auto => {
            let t = line.trim_start();
            if t.starts_with('{') {
                parse_json(t)?
            } else if t.starts_with('<') {
                parse_syslog(t, reference)?
            } else if t.starts_with("CEF:") {
                parse_cef(t)?
            } else {
                return Err(ParseError::Unrecognized);
            }
        }
    };
    fields.normalize(&mut event);
    Ok(event)
}

/// Parses one line into a [`Record`] for the compiled rules: JSON through
/// the zero-copy scanner, everything else (and any line the scanner defers)
/// through [`parse_line`]. Same events, same errors.
pub fn parse_record<'a>(
    line: &'a str,
    format: Format,
    fields: &FieldMap,
    schema: &Schema,
    reference: DateTime<Utc>,
) -> Result<Record<'a>, ParseError> {
    let text = line.trim_end_matches(['\r', '\n']);
    if text.len() <= MAX_LINE {
        let json = match format {
            Format::JsonLines => Some(text),
            Format::Auto => Some(text.trim_start()).filter(|t| t.starts_with('{')),
            Format::Syslog | Format::Cef => None,
        };
        if let Some(record) = json.and_then(|t| scan_json(t, schema)) {
            return Ok(record);
        }
    }
    parse_line(line, format, fields, reference).map(|e| Record::from_event(e, schema))
}

/// Parses a stream of lines into records for one rule set: the fast path of
/// [`parse_record`], with the scanner's buffers and name cache kept from
/// line to line.
#[derive(Debug)]
pub struct LineParser {
    format: Format,
    fields: FieldMap,
    schema: Arc<Schema>,
    reference: DateTime<Utc>,
    state: ScanState,
}

impl LineParser {
    /// `schema` is the schema of the rules the records are for
    /// ([`crate::sigma::SigmaRules::schema`]).
    pub fn new(
        format: Format,
        fields: &FieldMap,
        schema: Arc<Schema>,
        reference: DateTime<Utc>,
    ) -> LineParser {
        LineParser {
            format,
            fields: fields.clone(),
            schema,
            reference,
            state: ScanState::default(),
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Gives back records that are done with: their memory serves the next
    /// lines (a batch loop parses, evaluates, then recycles the batch).
    pub fn recycle(&mut self, records: &mut Vec<Record<'_>>) {
        for r in records.drain(..) {
            self.state.recycle(r.fields);
        }
    }

    /// The record of one line, or what is wrong with it.
    pub fn parse<'a>(&mut self, line: &'a str) -> Result<Record<'a>, ParseError> {
        let text = line.trim_end_matches(['\r', '\n']);
        if text.len() <= MAX_LINE {
            let json = match self.format {
                Format::JsonLines => Some(text),
                Format::Auto => Some(text.trim_start()).filter(|t| t.starts_with('{')),
                Format::Syslog | Format::Cef => None,
            };
            if let Some(record) =
                json.and_then(|t| scan_json_with(t, &self.schema, &mut self.state))
            {
                return Ok(record);
            }
        }
        parse_line(line, self.format, &self.fields, self.reference)
            .map(|e| Record::from_event(e, &self.schema))
    }
}
