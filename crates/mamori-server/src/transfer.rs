//! Export (CSV with a BOM so Excel keeps Japanese intact, and XLSX) and CSV
//! import for every register. Columns: `ref_no`, `company` (company code),
//! then the register's fields; references are written by their human key.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::{Action, Principal, Scope};
use mamori_domain::register::{FieldKind, Record, RegisterSpec};
use mamori_domain::registers::stored_answers;
use mamori_domain::settings::RegisterSettings;
use mamori_store::records::{ImportOutcome, ImportRow, RowError, Stored};
use rust_xlsxwriter::{Format, Workbook};
use uuid::Uuid;

use crate::error::ApiError;
use crate::kernel::{self, parse_ctx, require};
use crate::{AppState, Ctx};

/// Most rows one export writes.
pub const EXPORT_MAX: usize = 200_000;
/// Most data rows one import takes.
pub const IMPORT_MAX_ROWS: usize = 50_000;

/// The file's columns: an answers field is one column per question
/// (`answers.<question id>`).
pub fn columns(spec: &RegisterSpec, settings: &RegisterSettings) -> Vec<String> {
    let mut cols = vec!["ref_no".to_owned(), "company".to_owned()];
    for f in spec.fields {
        match (f.kind, settings.questionnaire(spec.name)) {
            (FieldKind::Answers, Some(q)) => cols.extend(
                q.questions
                    .iter()
                    .map(|question| format!("{}.{}", f.name, question.id)),
            ),
            _ => cols.push(f.name.to_owned()),
        }
    }
    cols
}

/// Every record matching the list parameters, in pages.
async fn collect(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &'static RegisterSpec,
    params: &[(String, String)],
) -> Result<Vec<Stored>, ApiError> {
    let scope = require(p, spec, Action::Export, ctx.now)?;
    let params: Vec<_> = params
        .iter()
        .filter(|(k, _)| k != "after" && k != "limit")
        .cloned()
        .collect();
    let mut q = kernel::list_query(state, spec, scope, &params, false)?;
    q.limit = 500;
    let mut all = Vec::new();
    loop {
        let page = state.store.list_records(spec, &q).await?;
        all.extend(page.items);
        if all.len() > EXPORT_MAX {
            return Err(ApiError::BadRequest(format!(
                "more than {EXPORT_MAX} records match; narrow the filter"
            )));
        }
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    Ok(all)
}

fn rows(
    state_companies: &[mamori_store::org::Company],
    spec: &RegisterSpec,
    settings: &RegisterSettings,
    items: &[Stored],
    tz: chrono_tz::Tz,
) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|s| {
            let company = state_companies
                .iter()
                .find(|c| c.id == s.company_id)
                .map(|c| c.code.clone())
                .unwrap_or_default();
            let mut row = vec![s.ref_no.clone(), company];
            for f in spec.fields {
                match (f.kind, settings.questionnaire(spec.name)) {
                    (FieldKind::Answers, Some(q)) => {
                        let answers = stored_answers(s.record.get(f.name));
                        row.extend(q.questions.iter().map(|question| {
                            answers
                                .get(&question.id)
                                .and_then(|a| a.as_str())
                                .unwrap_or_default()
                                .to_owned()
                        }));
                    }
                    // Instants in the reader's zone with their offset, so a
                    // file reads naturally and imports back unchanged.
                    (FieldKind::DateTime, _) => row.push(match s.record.get(f.name) {
                        mamori_domain::register::Value::Time(t) => t
                            .with_timezone(&tz)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                        _ => String::new(),
                    }),
                    _ => row.push(kernel::text_value(f, s, tz)),
                }
            }
            row
        })
        .collect()
}

pub async fn export_response(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &'static RegisterSpec,
    params: &[(String, String)],
) -> Result<Response, ApiError> {
    let format = params
        .iter()
        .find(|(k, _)| k == "format")
        .map_or("csv", |(_, v)| v.as_str());
    if format != "csv" && format != "xlsx" {
        return Err(ApiError::BadRequest("format must be csv or xlsx".into()));
    }
    let items = collect(state, ctx, p, spec, params).await?;
    // An export takes data out of mamori: who took how many records is audited.
    let entry = mamori_store::audit::Entry {
        actor_id: Some(p.user_id),
        actor: p.username.clone(),
        action: "export".into(),
        register: spec.name.into(),
        detail: Some(format!("format={format} records={}", items.len())),
        ..Default::default()
    };
    state.store.audit(&entry, ctx.now).await?;
    let companies = state.store.companies(&Scope::All).await?;
    let settings = state.store.settings();
    let header_row = columns(spec, settings);
    let header_row: Vec<&str> = header_row.iter().map(String::as_str).collect();
    let data = rows(&companies, spec, settings, &items, ctx.tz);
    download(spec.name, format, ctx, &header_row, &data)
}

/// Rows as a download: CSV with a byte-order mark (Excel opens Japanese
/// right) or XLSX, named `mamori-<name>-<local time>.<format>`.
pub fn download(
    name: &str,
    format: &str,
    ctx: &crate::Ctx,
    header_row: &[&str],
    data: &[Vec<String>],
) -> Result<Response, ApiError> {
    let stamp = ctx.now.with_timezone(&ctx.tz).format("%Y%m%d-%H%M");
    let (body, content_type) = if format == "csv" {
        (to_csv(header_row, data)?, "text/csv; charset=utf-8")
    } else {
        (
            to_xlsx(name, header_row, data)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    let disposition = format!("attachment; filename=\"mamori-{name}-{stamp}.{format}\"");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

pub fn to_csv(header_row: &[&str], data: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let internal = |e: csv::Error| ApiError::Internal(e.to_string());
        w.write_record(header_row).map_err(internal)?;
        for row in data {
            // Cells starting with = + - @ are quoted as text so a spreadsheet
            // never runs them as formulas.
            let safe: Vec<String> = row
                .iter()
                .map(|c| {
                    if c.starts_with(['=', '+', '-', '@']) {
                        format!("'{c}")
                    } else {
                        c.clone()
                    }
                })
                .collect();
            w.write_record(&safe).map_err(internal)?;
        }
        w.flush().map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    Ok(out)
}

pub fn to_xlsx(
    sheet: &str,
    header_row: &[&str],
    data: &[Vec<String>],
) -> Result<Vec<u8>, ApiError> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    let bold = Format::new().set_bold();
    for (c, name) in header_row.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &bold)
            .map_err(internal)?;
    }
    for (r, row) in data.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, cell)
                .map_err(internal)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    book.save_to_buffer().map_err(internal)
}

fn row_error(line: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.into(),
        message: message.into(),
    }
}

/// Parses a CSV file and writes it all or nothing. Every bad row is
/// reported with its line; `dry_run` checks without writing.
pub async fn import_csv(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &'static RegisterSpec,
    body: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome, ApiError> {
    kernel::require_people_create(spec)?;
    let scope = require(p, spec, Action::Import, ctx.now)?;
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the file is not valid UTF-8 (first bad byte at offset {}); save it as CSV UTF-8",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let known = columns(spec, state.store.settings());
    let mut errors = Vec::new();
    for h in &headers {
        if !known.contains(h) {
            errors.push(row_error(
                1,
                h,
                format!("unknown column; columns are: {}", known.join(", ")),
            ));
        }
    }
    if !headers.iter().any(|h| h == "company") {
        errors.push(row_error(1, "company", "the company column is required"));
    }
    if !errors.is_empty() {
        return Ok(ImportOutcome {
            errors,
            ..ImportOutcome::default()
        });
    }
    let companies = state.store.companies(&Scope::All).await?;
    let mut rows = Vec::new();
    for (i, result) in reader.records().enumerate() {
        let line = i + 2;
        if rows.len() + errors.len() >= IMPORT_MAX_ROWS {
            return Err(ApiError::BadRequest(format!(
                "the file has more than {IMPORT_MAX_ROWS} rows; split it"
            )));
        }
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} columns; the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                errors.push(row_error(line, "", message));
                continue;
            }
        };
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
        };
        let company_code = cell("company").unwrap_or("").trim();
        let company: Option<Uuid> = companies
            .iter()
            .find(|c| c.code == company_code)
            .map(|c| c.id);
        let Some(company_id) = company.filter(|id| scope.contains(*id)) else {
            errors.push(row_error(
                line,
                "company",
                format!("no company with code {company_code:?} that you may import into"),
            ));
            continue;
        };
        let parsed = spec.parse_text(
            |f| {
                cell(f).map(|v| {
                    v.strip_prefix('\'')
                        .filter(|v| v.starts_with(['=', '+', '-', '@']))
                        .unwrap_or(v)
                })
            },
            parse_ctx(state),
        );
        // A row may make a move that updates linked records of another
        // register (a verified corrective action, its risks): that needs
        // the right to update those too. Judged against any earlier state.
        let parsed = parsed.and_then(|values| {
            match crate::kernel::propagation_denied(
                ctx,
                p,
                spec,
                company_id,
                &Record::default(),
                &values,
            ) {
                Some(refused) => Err(vec![refused]),
                None => Ok(values),
            }
        });
        match parsed {
            Ok(values) => rows.push(ImportRow {
                line,
                company_id,
                ref_no: cell("ref_no")
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
                record: values,
            }),
            Err(field_errors) => errors.extend(
                field_errors
                    .into_iter()
                    .map(|f| row_error(line, &f.field, f.message)),
            ),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::BadRequest(
            "the file has a header but no rows".into(),
        ));
    }
    let mut outcome = state
        .store
        .import_records(
            spec,
            rows,
            dry_run || !errors.is_empty(),
            &ctx.actor(),
            ctx.now,
        )
        .await?;
    errors.extend(std::mem::take(&mut outcome.errors));
    errors.sort_by_key(|e| e.line);
    outcome.errors = errors;
    if !outcome.errors.is_empty() {
        outcome.committed = false;
    }
    Ok(outcome)
}
