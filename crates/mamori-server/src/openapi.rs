//! The OpenAPI 3.1 document, derived from the register specs so every
//! register gets its entry without annotations, and an offline docs page
//! rendered on the server (no script, within the strict CSP).

use askama::Template;
use axum::Json as JsonBody;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use mamori_domain::register::{FieldKind, FieldSpec, RegisterSpec};
use mamori_domain::registers;
use serde_json::{Map, Value as Json, json};

use crate::error::ApiError;
use crate::{AppState, Ctx};

fn field_schema(state: &AppState, kind: FieldKind) -> Json {
    match kind {
        FieldKind::Text { max } => json!({ "type": ["string", "null"], "maxLength": max }),
        FieldKind::LongText => json!({ "type": ["string", "null"], "maxLength": 10000 }),
        FieldKind::Email => json!({ "type": ["string", "null"], "format": "email" }),
        FieldKind::Companies => json!({
            "type": ["string", "null"],
            "description": "company codes of the group, separated by commas (AIR,GND)",
        }),
        FieldKind::Enum(options) => json!({ "type": ["string", "null"], "enum": options }),
        FieldKind::Scale(name) => {
            let codes: Vec<&str> = state
                .store
                .settings()
                .scale(name)
                .unwrap_or_default()
                .iter()
                .map(|l| l.code.as_str())
                .collect();
            json!({ "type": ["string", "null"], "enum": codes, "description": format!("a level of the configured {name} scale") })
        }
        FieldKind::Classification => {
            let codes: Vec<&str> = state.config.classification.codes().collect();
            json!({ "type": ["string", "null"], "enum": codes, "description": "handling classification (情報取り扱い区分)" })
        }
        FieldKind::Bool => json!({ "type": ["boolean", "null"] }),
        FieldKind::Date => json!({ "type": ["string", "null"], "format": "date" }),
        FieldKind::Integer => json!({ "type": ["integer", "null"] }),
        FieldKind::DateTime => json!({ "type": ["string", "null"], "format": "date-time" }),
        FieldKind::Reference(_) => json!({ "type": ["string", "null"], "format": "uuid" }),
        FieldKind::Answers => json!({
            "type": ["object", "null"],
            "additionalProperties": { "type": "string" },
            "description": "question id to answer, for the configured questionnaire",
        }),
    }
}

/// A field's schema with what the kernel enforces beyond its type: set by
/// mamori (read-only), or a lifecycle's moves.
fn field_entry(state: &AppState, f: &FieldSpec) -> Json {
    let mut schema = field_schema(state, f.kind);
    if f.system {
        schema["readOnly"] = json!(true);
        schema["description"] = json!("set by mamori");
    }
    if let Some(moves) = f.moves {
        let text: Vec<String> = moves
            .iter()
            .map(|(from, to)| format!("{from} → {}", to.join(" | ")))
            .collect();
        schema["description"] = json!(format!("lifecycle: {}", text.join("; ")));
    }
    schema
}

fn register_schemas(state: &AppState, spec: &RegisterSpec, schemas: &mut Map<String, Json>) {
    let mut all = Map::new();
    let mut props = Map::new();
    for f in spec.fields {
        all.insert(f.name.into(), field_entry(state, f));
        if !f.system {
            props.insert(f.name.into(), field_entry(state, f));
        }
    }
    let required: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| f.required && !f.system)
        .map(|f| f.name)
        .collect();
    let title = title_case(spec.name);
    if spec.people_create {
        let mut input = props.clone();
        input.insert(
            "company_id".into(),
            json!({ "type": "string", "format": "uuid" }),
        );
        let mut create_required = required.clone();
        create_required.push("company_id");
        schemas.insert(format!("{title}Create"), json!({ "type": "object", "properties": input, "required": create_required, "additionalProperties": false }));
    }
    let mut update = props;
    update.insert(
        "version".into(),
        json!({ "type": "integer", "description": "the version read; a stale one answers 409" }),
    );
    schemas.insert(format!("{title}Update"), json!({ "type": "object", "properties": update, "required": ["version"], "additionalProperties": false }));
    let mut out = all;
    for (k, v) in [
        ("id", json!({ "type": "string", "format": "uuid" })),
        ("ref_no", json!({ "type": "string" })),
        ("company_id", json!({ "type": "string", "format": "uuid" })),
        ("version", json!({ "type": "integer" })),
        (
            "created_at",
            json!({ "type": "string", "format": "date-time" }),
        ),
        (
            "updated_at",
            json!({ "type": "string", "format": "date-time" }),
        ),
        (
            "archived_at",
            json!({ "type": ["string", "null"], "format": "date-time" }),
        ),
        ("references", json!({ "type": "object" })),
    ] {
        out.insert(k.into(), v);
    }
    schemas.insert(title, json!({ "type": "object", "properties": out }));
}

fn title_case(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn register_paths(spec: &RegisterSpec, paths: &mut Map<String, Json>) {
    let name = spec.name;
    let title = title_case(name);
    let err = json!({ "$ref": "#/components/responses/Error" });
    let one = json!({ "description": "the record", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{title}") } } } });
    let mut filters: Vec<Json> = vec![
        json!({ "name": "q", "in": "query", "schema": { "type": "string" }, "description": "text search" }),
        json!({ "name": "company", "in": "query", "schema": { "type": "string", "format": "uuid" } }),
        json!({ "name": "archived", "in": "query", "schema": { "enum": ["active", "archived", "all"] } }),
        json!({ "name": "sort", "in": "query", "schema": { "type": "string" }, "description": "field, or -field for descending" }),
        json!({ "name": "after", "in": "query", "schema": { "type": "string" }, "description": "the `next` cursor of the previous page" }),
        json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } }),
        json!({ "name": "count", "in": "query", "schema": { "type": "boolean" } }),
    ];
    for f in spec.fields.iter().filter(|f| f.filter) {
        let schema = match f.kind {
            FieldKind::Enum(options) => json!({ "type": "string", "enum": options }),
            _ => json!({ "type": "string" }),
        };
        filters.push(json!({ "name": f.name, "in": "query", "schema": schema }));
    }
    let mut collection = json!({
        "get": { "tags": [name], "summary": format!("List {name}"), "parameters": filters,
                 "description": match spec.default_sort { "" => "ordered by reference unless sort says otherwise".to_owned(), s => format!("ordered by {s} unless sort says otherwise") },
                 "responses": { "200": { "description": "a page", "content": { "application/json": { "schema": {
                     "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{title}") } }, "next": { "type": ["string", "null"] }, "total": { "type": ["integer", "null"] } } } } } }, "400": err, "401": err, "403": err } }
    });
    if spec.people_create {
        collection["post"] = json!({ "tags": [name], "summary": format!("Create a record in {name}"),
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{title}Create") } } } },
                  "responses": { "201": one, "400": err, "401": err, "403": err, "409": err, "422": err } });
    }
    paths.insert(format!("/api/v1/{name}"), collection);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    paths.insert(format!("/api/v1/{name}/{{id}}"), json!({
        "get": { "tags": [name], "summary": "Read one record", "parameters": [id_param], "responses": { "200": one, "404": err } },
        "patch": { "tags": [name], "summary": "Update fields (send the version you read)", "parameters": [id_param],
                   "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{title}Update") } } } },
                   "responses": { "200": one, "403": err, "404": err, "409": err, "422": err } }
    }));
    for action in ["archive", "restore"] {
        paths.insert(format!("/api/v1/{name}/{{id}}/{action}"), json!({
            "post": { "tags": [name], "summary": format!("{} a record", title_case(action)), "parameters": [id_param],
                      "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "version": { "type": "integer" } }, "required": ["version"] } } } },
                      "responses": { "200": one, "403": err, "404": err, "409": err } }
        }));
    }
    paths.insert(format!("/api/v1/{name}/export"), json!({
        "get": { "tags": [name], "summary": "Export as CSV (UTF-8 with BOM) or XLSX; takes the list filters",
                 "parameters": [{ "name": "format", "in": "query", "schema": { "enum": ["csv", "xlsx"] } }],
                 "responses": { "200": { "description": "the file" }, "403": err } }
    }));
    if !spec.people_create {
        return;
    }
    paths.insert(format!("/api/v1/{name}/import"), json!({
        "post": { "tags": [name], "summary": "Import CSV: all rows or none; dry_run=true only checks",
                  "parameters": [{ "name": "dry_run", "in": "query", "schema": { "type": "boolean" } }],
                  "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } },
                  "responses": { "200": { "description": "counts of created and updated records" }, "400": err, "422": err } }
    }));
}

/// The detection endpoints beyond the `alerts` register: ingest and rules.
fn detection_paths(paths: &mut Map<String, Json>) {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    paths.insert("/api/v1/ingest".into(), json!({ "post": {
        "tags": ["detection"], "summary": "Send events to be detected on (one per line); needs the ingest scope",
        "description": "JSON lines, syslog (RFC 5424/3164, a CEF or JSON body too) or CEF. Alerts are stored before the answer. Bad lines are listed by number; a body with no readable line is refused.",
        "parameters": [
            { "name": "company", "in": "query", "required": true, "schema": { "type": "string" }, "description": "the company code the events belong to" },
            query("format", "auto (default), json, syslog or cef")
        ],
        "requestBody": { "required": true, "content": { "application/x-ndjson": { "schema": { "type": "string" } } } },
        "responses": { "200": { "description": "`events`, `bad`, `bad_lines` (line, error), `alerts` (new, repeated)" }, "400": error, "403": error } } }));
    paths.insert("/api/v1/rules".into(), json!({ "get": {
        "tags": ["detection"], "summary": "Detection rules loaded, with hit counts (group-wide readers) and load errors",
        "parameters": [query("q", "words in the title, id or tags"), query("sort", "hits (default) or title")],
        "responses": { "200": { "description": "`items` (title, id, level, kind, tags, file, hits), `not_loaded`" }, "400": error, "403": error } } }));
}

/// Risk heat maps and framework libraries.
fn compliance_paths(paths: &mut Map<String, Json>) {
    let error = json!({ "$ref": "#/components/responses/Error" });
    paths.insert("/api/v1/risks/heatmap".into(), json!({ "get": {
        "tags": ["risks"], "summary": "Risk counts per cell of the 5 x 5 matrix, inherent and residual",
        "parameters": [{ "name": "company", "in": "query", "required": false, "schema": { "type": "string", "format": "uuid" }, "description": "one company; all the caller may read when absent" }],
        "responses": { "200": { "description": "`inherent[impact-1][likelihood-1]` and `residual[…]` counts" }, "400": error, "403": error } } }));
    paths.insert("/api/v1/libraries".into(), json!({ "post": {
        "tags": ["libraries"], "summary": "Load a framework library (CISO Assistant's YAML format), whole or not at all",
        "requestBody": { "required": true, "content": { "application/yaml": { "schema": { "type": "string" } } } },
        "responses": { "201": { "description": "`urn`, `frameworks`, `nodes`, `reference_controls`, `mappings` loaded" }, "400": error, "403": error, "422": error } } }));
    paths.insert(
        "/api/v1/frameworks".into(),
        json!({ "get": {
        "tags": ["libraries"], "summary": "The frameworks loaded, with their requirement counts",
        "responses": { "200": { "description": "`items`" }, "403": error } } }),
    );
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    paths.insert("/api/v1/frameworks/{id}/adopt".into(), json!({ "post": {
        "tags": ["libraries"], "summary": "Adopt a framework for a company: one requirement assessment per assessable requirement it lacks",
        "parameters": [id],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "company_id": { "type": "string", "format": "uuid" } }, "required": ["company_id"] } } } },
        "responses": { "200": { "description": "`created`: how many assessments were made" }, "400": error, "403": error, "404": error } } }));
    paths.insert("/api/v1/frameworks/{id}/soa".into(), json!({ "get": {
        "tags": ["libraries"], "summary": "A company's Statement of Applicability for the framework (XLSX or CSV), in the framework's order; audited",
        "parameters": [id, { "name": "company", "in": "query", "required": true, "schema": { "type": "string", "format": "uuid" } },
                       { "name": "format", "in": "query", "schema": { "enum": ["xlsx", "csv"] } },
                       { "name": "as_of", "in": "query", "schema": { "type": "string" }, "description": "a date (end of that day in the viewer's zone) or an RFC 3339 instant: the SoA as it stood then" }],
        "responses": { "200": { "description": "the file" }, "400": error, "403": error, "404": error } } }));
    paths.insert("/api/v1/mapping_sets".into(), json!({ "get": {
        "tags": ["libraries"], "summary": "The mapping sets loaded (source and target frameworks, mapping counts)",
        "responses": { "200": { "description": "`items`" }, "403": error } } }));
    paths.insert("/api/v1/mapping_sets/{id}/coverage".into(), json!({ "get": {
        "tags": ["libraries"], "summary": "The source framework's requirements seen through a company's assessments of the target framework",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
                       { "name": "company", "in": "query", "required": true, "schema": { "type": "string", "format": "uuid" } }],
        "responses": { "200": { "description": "`summary` (implemented, partial, open, unmapped) and `items` (ref_id, name, status, targets)" }, "400": error, "403": error, "404": error } } }));
    paths.insert("/api/v1/frameworks/{id}".into(), json!({ "get": {
        "tags": ["libraries"], "summary": "A framework and its requirement tree, in the library's order",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
        "responses": { "200": { "description": "`framework`, `nodes` (urn, parent_urn, ref_id, name, description, assessable, depth)" }, "403": error, "404": error } } }));
}

pub fn build(state: &AppState) -> Json {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for spec in registers::ALL {
        register_paths(spec, &mut paths);
        register_schemas(state, spec, &mut schemas);
    }
    paths.insert("/api/v1/me".into(), json!({ "get": { "tags": ["identity"], "summary": "Who the token or session belongs to", "responses": { "200": { "description": "the principal" } } } }));
    paths.insert("/api/v1/companies".into(), json!({ "get": { "tags": ["organization"], "summary": "Companies visible to the principal", "responses": { "200": { "description": "companies" } } } }));
    detection_paths(&mut paths);
    compliance_paths(&mut paths);
    schemas.insert("Error".into(), json!({ "type": "object", "properties": { "error": { "type": "object", "properties": {
        "code": { "type": "string" }, "message": { "type": "string" }, "fields": { "type": "array" }, "rows": { "type": "array" }, "current_version": { "type": "integer" } }, "required": ["code", "message"] } } }));
    json!({
        "openapi": "3.1.0",
        "info": { "title": "mamori API", "version": env!("CARGO_PKG_VERSION"), "description": "Registers of the information-security program. Authenticate with `Authorization: Bearer mmr_…` (create a token with `mamori token create`)." },
        "servers": [{ "url": state.config.base_url() }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
            "responses": { "Error": { "description": "an error with a stable code and a message", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } }
        }
    })
}

pub async fn document(State(state): State<AppState>) -> JsonBody<Json> {
    JsonBody(build(&state))
}

pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub params: String,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage {
    ops: Vec<Operation>,
    title: String,
    intro: String,
}

pub async fn docs_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let doc = build(&state);
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .filter_map(|p| p["name"].as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                ops.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or_default().to_owned(),
                    params,
                });
            }
        }
    }
    let t = ctx.t(&state);
    let page = DocsPage {
        ops,
        title: t.t("docs.title").to_owned(),
        intro: t.t("docs.intro").to_owned(),
    };
    Ok(Html(
        page.render()
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    )
    .into_response())
}
