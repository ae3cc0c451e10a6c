//! `blowback notice`: the public page for the domain's visitors and for bounce senders
//! ("We did not send this spam"), made from the case store: how many bounces since when,
//! the origin networks and countries the Received walk established, and what the spam
//! advertises. One self-contained HTML file (no script, no outside resources), rendered
//! with handlebars' HTML escaping for every value and written in place atomically, so a
//! web server never serves half a page.
//!
//! Never accuse the innocent: only origins the walk established are listed, our own
//! bounces (mail we really sent) are left out, and our own addresses never appear.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::store::{Store, StoreError};

const TEMPLATE: &str = include_str!("../../templates/notice/page.hbs");
/// Most rows in each table of the page.
const MAX_ROWS: usize = 50;

/// What the page shows.
#[derive(Debug, Default, Serialize)]
pub struct Notice {
    pub domains: String,
    pub bounces: usize,
    pub backscatter: usize,
    pub unknown_origin: usize,
    pub since: Option<String>,
    pub latest: Option<String>,
    pub networks: Vec<Row>,
    pub networks_count: usize,
    pub countries: Vec<Row>,
    pub contacts: Vec<Row>,
    pub contacts_count: usize,
    pub contact: Option<String>,
    pub updated: String,
}

/// One table row: a name (with kind or country where the table has them) and a count.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    pub kind: String,
    pub name: String,
    pub value: String,
    pub country: String,
    pub count: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("notice template: {0}")]
    Template(String),
    #[error("writing {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// Counts as the records stream by.
#[derive(Default)]
struct Tally {
    notice: Notice,
    first: Option<i64>,
    last: Option<i64>,
    networks: HashMap<String, (String, usize)>,
    countries: HashMap<String, usize>,
    contacts: HashMap<(String, String), usize>,
}

impl Tally {
    fn add(&mut self, record: &Value, analysed_at: i64, config: &Config) {
        if record.get("error").is_some_and(|e| !e.is_null()) {
            return;
        }
        let verdict = record.get("verdict").and_then(Value::as_str).unwrap_or("");
        // Mail we really sent is not part of the story; spam received directly is.
        if verdict == "own_bounce" {
            return;
        }
        self.notice.bounces += 1;
        if verdict == "backscatter" {
            self.notice.backscatter += 1;
        }
        let when = record
            .get("arrival_date")
            .and_then(Value::as_str)
            .and_then(|d| crate::mailparse::timestamp(d.as_bytes()))
            .unwrap_or(analysed_at);
        self.first = Some(self.first.map_or(when, |f| f.min(when)));
        self.last = Some(self.last.map_or(when, |l| l.max(when)));
        match record.get("origin").filter(|o| !o.is_null()) {
            Some(origin) => self.add_origin(origin),
            None => self.notice.unknown_origin += 1,
        }
        let contacts = record.get("contacts").and_then(Value::as_array);
        let mut seen = Vec::new();
        for contact in contacts.into_iter().flatten() {
            let text = |key| contact.get(key).and_then(Value::as_str).unwrap_or("");
            if text("role") != "advertised" {
                continue;
            }
            let (kind, value) = (text("kind").to_string(), text("value").to_string());
            if value.is_empty() || mentions_own_domain(&value, config) {
                continue;
            }
            if !seen.contains(&(kind.clone(), value.clone())) {
                seen.push((kind.clone(), value.clone()));
                *self.contacts.entry((kind, value)).or_default() += 1;
            }
        }
    }

    fn add_origin(&mut self, origin: &Value) {
        if origin.get("documentation").and_then(Value::as_bool) == Some(true) {
            return;
        }
        let pick = |path: &[&str]| -> Option<String> {
            let mut v = origin;
            for key in path {
                v = v.get(key)?;
            }
            match v {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let asn = pick(&["network", "asn"]).or_else(|| pick(&["geo", "asn"]));
        let org = pick(&["network", "as_org"])
            .or_else(|| pick(&["network", "netname"]))
            .or_else(|| pick(&["geo", "as_org"]));
        let country = pick(&["network", "country"])
            .or_else(|| pick(&["geo", "country"]))
            .unwrap_or_default();
        let name = match (asn, org) {
            (Some(asn), Some(org)) => format!("AS{asn} {org}"),
            (Some(asn), None) => format!("AS{asn}"),
            (None, Some(org)) => org,
            (None, None) => match pick(&["ip"]) {
                Some(ip) => ip,
                None => return,
            },
        };
        let entry = self.networks.entry(name).or_insert((country.clone(), 0));
        entry.1 += 1;
        if !country.is_empty() {
            *self.countries.entry(country).or_default() += 1;
        }
    }

    fn finish(mut self, now: i64) -> Notice {
        let mut notice = std::mem::take(&mut self.notice);
        notice.since = self.first.map(day);
        notice.latest = self.last.map(day);
        notice.updated = crate::timefmt::utc_rfc3339(now);
        notice.networks_count = self.networks.len();
        notice.networks = top(self
            .networks
            .into_iter()
            .map(|(name, (country, count))| Row {
                name,
                country,
                count,
                ..Row::default()
            }));
        notice.countries = top(self.countries.into_iter().map(|(name, count)| Row {
            name,
            count,
            ..Row::default()
        }));
        notice.contacts_count = self.contacts.len();
        notice.contacts = top(self.contacts.into_iter().map(|((kind, value), count)| Row {
            kind,
            value,
            count,
            ..Row::default()
        }));
        notice
    }
}

/// `2024-11-17`.
fn day(t: i64) -> String {
    crate::timefmt::utc_rfc3339(t)[..10].to_string()
}

/// The most frequent rows first (ties by name), at most `MAX_ROWS`.
fn top(rows: impl Iterator<Item = Row>) -> Vec<Row> {
    let mut rows: Vec<Row> = rows.collect();
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.kind, &a.name, &a.value).cmp(&(&b.kind, &b.name, &b.value)))
    });
    rows.truncate(MAX_ROWS);
    rows
}

/// True when `value` names one of our domains (an address, a host or a URL there).
fn mentions_own_domain(value: &str, config: &Config) -> bool {
    let lower = value.to_ascii_lowercase();
    let host = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest)
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, domain)| domain);
    config.is_own_domain(host)
        || config
            .own_domains
            .iter()
            .any(|own| lower.contains(&format!("@{own}")))
}

/// Reads the store into what the page shows.
pub fn collect(store: &Store, config: &Config, now: i64) -> Result<Notice, NoticeError> {
    let mut tally = Tally::default();
    store.for_each_record(|json, at| {
        if let Ok(record) = serde_json::from_str::<Value>(json) {
            tally.add(&record, at, config);
        }
    })?;
    let mut notice = tally.finish(now);
    notice.domains = config.own_domains.join(", ");
    notice.contact = config.notice.contact.clone();
    Ok(notice)
}

/// Renders the page.
pub fn render(notice: &Notice) -> Result<String, NoticeError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_template_string("page", TEMPLATE)
        .map_err(|err| NoticeError::Template(err.to_string()))?;
    hb.render("page", notice)
        .map_err(|err| NoticeError::Template(err.to_string()))
}

/// Writes `index.html` in `out` (created when missing): to a temporary file first, then
/// renamed over the old page.
pub fn write(out: &Path, html: &str) -> Result<PathBuf, NoticeError> {
    let wrap = |path: &Path| {
        let path = path.to_path_buf();
        move |err| NoticeError::Write(path, err)
    };
    std::fs::create_dir_all(out).map_err(wrap(out))?;
    let page = out.join("index.html");
    let tmp = out.join(".index.html.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(wrap(&tmp))?;
    file.write_all(html.as_bytes()).map_err(wrap(&tmp))?;
    file.sync_all().map_err(wrap(&tmp))?;
    std::fs::rename(&tmp, &page).map_err(wrap(&page))?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Config {
        Config {
            own_domains: vec!["victim.example".into()],
            ..Default::default()
        }
    }

    #[test]
    fn counts_origins_and_contacts_and_redacts_our_own() {
        let mut tally = Tally::default();
        let config = config();
        let spam = json!({
            "verdict": "backscatter",
            "origin": {"ip": "198.51.100.7", "documentation": false,
                       "geo": {"country": "NL", "asn": 64500, "as_org": "Example Hosting"}},
            "contacts": [
                {"kind": "domain", "value": "pills.example", "role": "advertised"},
                {"kind": "email", "value": "boss@victim.example", "role": "advertised"},
                {"kind": "url", "value": "http://www.victim.example/x", "role": "advertised"},
                {"kind": "url", "value": "http://track.example/", "role": "tracking"}
            ]
        });
        tally.add(&spam, 1_700_000_000, &config);
        tally.add(&spam, 1_700_100_000, &config);
        tally.add(
            &json!({"verdict": "unknown", "origin": null}),
            1_700_200_000,
            &config,
        );
        tally.add(&json!({"verdict": "own_bounce"}), 1_700_300_000, &config);
        let notice = tally.finish(1_700_400_000);
        assert_eq!(
            (notice.bounces, notice.backscatter, notice.unknown_origin),
            (3, 2, 1)
        );
        assert_eq!(notice.networks[0].name, "AS64500 Example Hosting");
        assert_eq!(notice.networks[0].count, 2);
        assert_eq!(notice.countries[0].name, "NL");
        let values: Vec<&str> = notice.contacts.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["pills.example"]);
        assert_eq!(notice.since.as_deref(), Some("2023-11-14"));
    }

    #[test]
    fn input_text_is_escaped() {
        let notice = Notice {
            domains: "victim.example".into(),
            contacts: vec![Row {
                kind: "url".into(),
                value: "http://x.example/\"><script>alert(1)</script>".into(),
                count: 1,
                ..Row::default()
            }],
            ..Notice::default()
        };
        let html = render(&notice).unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
