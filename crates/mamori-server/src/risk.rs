//! The risk heat map: how many risks sit in each cell of the configured
//! matrix (likelihood across, impact up), inherent beside residual, for one company
//! or every company the viewer may read. Drawn on the server as SVG; each
//! cell links to the risks list filtered to it.

use askama::Template;
use axum::Json as JsonBody;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::{Action, Principal};
use mamori_domain::registers::{RISK_LEVELS, RISKS, RiskMatrix};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::require;
use crate::{AppState, Ctx};

/// Counts per cell: `[impact - 1][likelihood - 1]`.
type Grid = Vec<Vec<i64>>;

/// Risks per level (low, medium, high, critical), inherent and residual.
type Levels = [[i64; 4]; 2];

/// The two maps of a scope, and the same counted per company and level
/// (the group roll-up).
struct Maps {
    company: Option<Uuid>,
    inherent: Grid,
    residual: Grid,
    by_company: Vec<(Uuid, Levels)>,
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
    let mut by_company: Vec<(Uuid, Levels)> = Vec::new();
    // Rollups 1 and 2 of the risk register count its active risks by
    // inherent and by residual (likelihood, impact).
    for (n, grid) in grids.iter_mut().enumerate() {
        for c in state.store.rollup(&RISKS, n + 1, &scope, company).await? {
            // Steps beyond a matrix made smaller since are not drawn.
            let at = |v: &str| v.parse::<usize>().ok()?.checked_sub(1);
            let (Some(l), Some(i)) = (at(&c.key[0]), at(&c.key[1])) else {
                continue;
            };
            let Some(cell) = grid.get_mut(i).and_then(|row| row.get_mut(l)) else {
                continue;
            };
            *cell += c.n;
            let level = matrix.level(l as i64 + 1, i as i64 + 1);
            let rank = RISK_LEVELS.iter().position(|r| *r == level).unwrap_or(0);
            let at = match by_company.iter().position(|(id, _)| *id == c.company_id) {
                Some(at) => at,
                None => {
                    by_company.push((c.company_id, [[0; 4]; 2]));
                    by_company.len() - 1
                }
            };
            by_company[at].1[n][rank] += c.n;
        }
    }
    let [inherent, residual] = grids;
    Ok(Maps {
        company,
        inherent,
        residual,
        by_company,
    })
}

/// `GET /api/v1/risks/heatmap?company=<id>`: the counts per cell,
/// `inherent[impact - 1][likelihood - 1]`, the same for `residual`, and
/// `companies`: per company, its risks per level (on the matrix in force).
pub async fn heatmap(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let m = maps(&state, &ctx, &p, company_param(&query)?).await?;
    let per_level = |counts: &[i64; 4]| -> Json {
        RISK_LEVELS
            .iter()
            .zip(counts)
            .map(|(l, n)| ((*l).to_owned(), json!(n)))
            .collect::<serde_json::Map<String, Json>>()
            .into()
    };
    Ok(JsonBody(json!({
        "company": m.company,
        "inherent": m.inherent,
        "residual": m.residual,
        "companies": m.by_company.iter().map(|(id, levels)| json!({
            "company_id": id,
            "inherent": per_level(&levels[0]),
            "residual": per_level(&levels[1]),
        })).collect::<Vec<_>>(),
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
    /// The group roll-up (shown for more than one company): level names,
    /// then per company its label and, inherent then residual, each
    /// level's count with the link to those risks.
    levels: Vec<String>,
    rollup: Vec<(String, Vec<(i64, String)>)>,
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
        levels: RISK_LEVELS
            .iter()
            .map(|l| t.tk(&["enum", "risks", "inherent_level", l]))
            .collect(),
        rollup: if m.company.is_none() {
            let mut rows: Vec<(String, Vec<(i64, String)>)> = visible
                .iter()
                .filter_map(|c| {
                    let (_, levels) = m.by_company.iter().find(|(id, _)| *id == c.id)?;
                    let name = if ja { &c.name_ja } else { &c.name_en };
                    let cells = ["inherent_level", "residual_level"]
                        .iter()
                        .zip(levels)
                        .flat_map(|(field, counts)| {
                            RISK_LEVELS.iter().zip(counts).map(move |(level, n)| {
                                let pairs = [
                                    ((*field).to_owned(), (*level).to_owned()),
                                    ("company".to_owned(), c.id.to_string()),
                                ];
                                (*n, format!("/r/risks?{}", crate::web::query_string(&pairs)))
                            })
                        })
                        .collect();
                    Some((format!("{} {name}", c.code), cells))
                })
                .collect();
            rows.sort();
            // A roll-up of one company says nothing the maps do not.
            if rows.len() > 1 { rows } else { Vec::new() }
        } else {
            Vec::new()
        },
    };
    match page.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}
