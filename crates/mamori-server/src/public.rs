//! mamori's public pages: the notices the group has published
//! (`/public/notices`), readable by anyone, without signing in. Only
//! disclosures whose status is `published` appear; a withdrawn one is gone.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use mamori_domain::authz::Scope;
use mamori_domain::register::Value;
use mamori_domain::registers::DISCLOSURES;
use mamori_store::records::{Archived, ListQuery, Stored};

use crate::error::ApiError;
use crate::{AppState, Ctx};

struct Notice {
    href: String,
    title: String,
    company: String,
    published: String,
    updated: String,
    body: String,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage<'a> {
    f: crate::web::Frame<'a>,
    items: Vec<Notice>,
}

/// When a notice was first published: the first kept state in which it was.
async fn published_at(state: &AppState, s: &Stored) -> Result<DateTime<Utc>, ApiError> {
    Ok(state
        .store
        .history_of(&DISCLOSURES, s.id)
        .await?
        .iter()
        .find(|c| c.fields["status"] == "published")
        .map_or(s.updated_at, |c| c.at))
}

async fn published(state: &AppState, ctx: &Ctx) -> Result<Vec<Notice>, ApiError> {
    let status = DISCLOSURES
        .field("status")
        .ok_or_else(|| ApiError::Internal("disclosures have no status".into()))?;
    let query = ListQuery {
        scope: Scope::All,
        company: None,
        filters: vec![(status, Value::Text("published".into()))],
        search: None,
        archived: Archived::Active,
        sort: None,
        desc: true,
        after: None,
        limit: 100,
        count: false,
    };
    let companies = state.store.companies(&Scope::All).await?;
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let mut out = Vec::new();
    for s in state.store.list_records(&DISCLOSURES, &query).await?.items {
        let at = published_at(state, &s).await?;
        out.push((
            at,
            Notice {
                href: format!("/public/notices/{}", s.id),
                title: s.record.text("title").unwrap_or_default().to_owned(),
                company: companies
                    .iter()
                    .find(|c| c.id == s.company_id)
                    .map(|c| {
                        if ja {
                            c.name_ja.clone()
                        } else {
                            c.name_en.clone()
                        }
                    })
                    .unwrap_or_default(),
                published: ctx.local(at),
                updated: ctx.local(s.updated_at),
                body: s.record.text("body").unwrap_or_default().to_owned(),
            },
        ));
    }
    out.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    Ok(out.into_iter().map(|(_, n)| n).collect())
}

/// `/public/notices`: every published notice, the latest first.
pub async fn notices(State(state): State<AppState>, ctx: Ctx) -> Response {
    match published(&state, &ctx).await {
        Ok(items) => crate::web::render(NoticesPage {
            f: crate::web::frame(&state, &ctx, "public.title"),
            items,
        }),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// `/public/notices/{id}`: one published notice (404 for any other).
pub async fn notice(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let result = async {
        let all = published(&state, &ctx).await?;
        all.into_iter()
            .find(|n| n.href.ends_with(&id))
            .ok_or(ApiError::NotFound)
    }
    .await;
    match result {
        Ok(n) => crate::web::render(NoticesPage {
            f: crate::web::frame(&state, &ctx, "public.title"),
            items: vec![n],
        }),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}
