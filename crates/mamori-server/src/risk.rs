//! The risk heat map: how many risks sit in each cell of the configured
//! matrix (likelihood across, impact up), inherent beside residual, for one company
//! or every company the viewer may read. Drawn on the server as SVG; each
//! cell links to the risks list filtered to it.

use askama::Template;
use axum::Json as JsonBody;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::{Action, Principal};
use mamori_domain::registers::{RISKS, RiskMatrix};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::require;
use crate::{AppState, Ctx};

/// Counts per cell: `[impact - 1][likelihood - 1]`.
type Grid = Vec<Vec<i64>>;

/// The two maps of a scope.
struct Maps {
    company: Option<Uuid>,
    inherent: Grid,
    residual: Grid,
}

fn company_param(query: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    let pairs = query.as_deref().map(url_pairs).unwrap_or_default();
    match pairs
        .iter()
        .find(|(k, _)| k == "company")
        .map(|(_, v)| v.trim())
    {
        None | Some("") => Ok(None),
        Some(v) => Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| ApiError::BadRequest("company must be a company id".into())),
    }
}

async fn maps(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    company: Option<Uuid>,
) -> Result<Maps, ApiError> {
    let scope = require(p, &RISKS, Action::Read, ctx.now)?;
    let matrix = &state.store.settings().risk_matrix;
    let empty = vec![vec![0i64; matrix.likelihood.len()]; matrix.impact.len()];
    let mut grids = [empty.clone(), empty];
    // Rollups 1 and 2 of the risk register count its active risks by
    // inherent and by residual (likelihood, impact).
    for (n, grid) in grids.iter_mut().enumerate() {
        for c in state.store.rollup(&RISKS, n + 1, &scope, company).await? {
            // Steps beyond a matrix made smaller since are not drawn.
            let at = |v: &str| v.parse::<usize>().ok()?.checked_sub(1);
            if let (Some(l), Some(i)) = (at(&c.key[0]), at(&c.key[1]))
                && let Some(cell) = grid.get_mut(i).and_then(|row| row.get_mut(l))
            {
                *cell += c.n;
            }
        }
    }
    let [inherent, residual] = grids;
    Ok(Maps {
        company,
        inherent,
        residual,
    })
}

/// `GET /api/v1/risks/heatmap?company=<id>`: the counts per cell,
/// `inherent[impact - 1][likelihood - 1]`, and the same for `residual`.
pub async fn heatmap(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let m = maps(&state, &ctx, &p, company_param(&query)?).await?;
    Ok(JsonBody(json!({
        "company": m.company,
        "inherent": m.inherent,
        "residual": m.residual,
    })))
}

/// One drawn cell.
struct Cell {
    x: i64,
    y: i64,
    count: i64,
    fill: &'static str,
    href: String,
    /// `likelihood-impact`, for tests and assistive text.
    key: String,
}

struct Map {
    title: String,
    cells: Vec<Cell>,
    width: i64,
    height: i64,
}

#[derive(Template)]
#[template(path = "heatmap.html")]
struct HeatmapPage<'a> {
    f: crate::web::Frame<'a>,
    maps: Vec<Map>,
    companies: Vec<(String, String, bool)>,
    /// Axis labels: likelihood from 1 (left to right), impact from the
    /// highest (top down).
    likelihood: Vec<String>,
    impact: Vec<String>,
}

/// Cell size and the room left of and below the grid for labels.
const CELL: i64 = 64;
const LEFT: i64 = 8;
const TOP: i64 = 8;

fn fill(level: &str) -> &'static str {
    match level {
        "low" => "#cfe8c9",
        "medium" => "#fbe7a1",
        "high" => "#f6b27a",
        _ => "#e8807a",
    }
}

fn draw(
    matrix: &RiskMatrix,
    title: String,
    grid: &Grid,
    prefix: &str,
    company: Option<Uuid>,
) -> Map {
    let rows = grid.len() as i64;
    let mut cells = Vec::new();
    for (i, row) in grid.iter().enumerate() {
        for (l, count) in row.iter().enumerate() {
            let (likelihood, impact) = (l as i64 + 1, i as i64 + 1);
            let mut pairs = vec![
                (format!("{prefix}_likelihood"), likelihood.to_string()),
                (format!("{prefix}_impact"), impact.to_string()),
            ];
            if let Some(c) = company {
                pairs.push(("company".to_owned(), c.to_string()));
            }
            cells.push(Cell {
                x: LEFT + l as i64 * CELL,
                y: TOP + (rows - 1 - i as i64) * CELL,
                count: *count,
                fill: fill(matrix.level(likelihood, impact)),
                href: format!("/r/risks?{}", crate::web::query_string(&pairs)),
                key: format!("{likelihood}-{impact}"),
            });
        }
    }
    Map {
        title,
        cells,
        width: 2 * LEFT + grid.first().map_or(0, Vec::len) as i64 * CELL,
        height: 2 * TOP + rows * CELL,
    }
}

/// `/risks/heatmap?company=<id>`: the page.
pub async fn heatmap_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let company = company_param(&query)?;
        let m = maps(&state, &ctx, &p, company).await?;
        let visible = state
            .store
            .companies(&p.scope(RISKS.name, Action::Read, ctx.now))
            .await?;
        Ok::<_, ApiError>((m, visible))
    }
    .await;
    let (m, visible) = match result {
        Ok(r) => r,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let matrix = &state.store.settings().risk_matrix;
    let steps = |axis: &str| -> Vec<String> {
        matrix
            .steps(axis)
            .iter()
            .enumerate()
            .map(|(n, l)| format!("{} {}", n + 1, l.get(ja)))
            .collect()
    };
    let page = HeatmapPage {
        f: crate::web::frame(&state, &ctx, "heatmap.title"),
        maps: vec![
            draw(
                matrix,
                t.t("heatmap.inherent").to_owned(),
                &m.inherent,
                "inherent",
                m.company,
            ),
            draw(
                matrix,
                t.t("heatmap.residual").to_owned(),
                &m.residual,
                "residual",
                m.company,
            ),
        ],
        companies: visible
            .iter()
            .map(|c| {
                let name = if ja { &c.name_ja } else { &c.name_en };
                (
                    c.id.to_string(),
                    format!("{} {name}", c.code),
                    m.company == Some(c.id),
                )
            })
            .collect(),
        likelihood: steps("likelihood"),
        impact: steps("impact").into_iter().rev().collect(),
    };
    match page.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}
