//! Message catalogues (Japanese first, English) and language negotiation.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language in an `Accept-Language` header, by
    /// quality; Japanese when none is.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Lang::parse(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, l)| l)
    }
}

/// Both catalogues, parsed once at start.
#[derive(Debug)]
pub struct Catalogues {
    ja: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

const JA: &str = include_str!("../locales/ja.toml");
const EN: &str = include_str!("../locales/en.toml");

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, format!("{other:?}"));
            }
        }
    }
}

fn parse(text: &str, name: &str) -> Result<BTreeMap<String, String>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("catalogue {name}: {e}"))?;
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out);
    Ok(out)
}

impl Catalogues {
    pub fn load() -> Result<Catalogues, String> {
        Ok(Catalogues {
            ja: parse(JA, "ja.toml")?,
            en: parse(EN, "en.toml")?,
        })
    }

    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let map = match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        };
        map.get(key).map_or(key, String::as_str)
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        match lang {
            Lang::Ja => self.ja.contains_key(key),
            Lang::En => self.en.contains_key(key),
        }
    }

    /// Keys present in one catalogue and missing in the other.
    pub fn mismatches(&self) -> Vec<String> {
        let only_ja = self
            .ja
            .keys()
            .filter(|k| !self.en.contains_key(*k))
            .map(|k| format!("missing in en: {k}"));
        let only_en = self
            .en
            .keys()
            .filter(|k| !self.ja.contains_key(*k))
            .map(|k| format!("missing in ja: {k}"));
        only_ja.chain(only_en).collect()
    }
}

/// A translator bound to one language, handed to templates.
#[derive(Clone, Copy)]
pub struct T<'a> {
    pub lang: Lang,
    pub cat: &'a Catalogues,
}

impl<'a> T<'a> {
    pub fn t(&self, key: &'a str) -> &'a str {
        self.cat.get(self.lang, key)
    }

    /// A key built at run time (`field.assets.name`).
    pub fn tk(&self, parts: &[&str]) -> String {
        let key = parts.join(".");
        self.cat.get(self.lang, &key).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_negotiation() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5, ja;q=0.8"),
            Lang::Ja
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::Ja);
        assert_eq!(Lang::from_accept_language(""), Lang::Ja);
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let cat = Catalogues::load().expect("catalogues parse");
        assert_eq!(cat.mismatches(), Vec::<String>::new());
    }
}
