//! `data/memo.html`: the legal memo of a pack — for each jurisdiction involved (origin
//! country, hosting countries, phone-number countries) the anti-spam law, opt-in or
//! opt-out, the authority and how to complain, how well each fact is verified and when
//! (from `data/jurisdictions.json`), then a certification page for the collector to sign.

use serde::Serialize;

use crate::enrich::Jurisdictions;

use super::EvidenceError;
use super::parties::Involved;
use super::report::Input;

pub(crate) const TEMPLATE: &str = include_str!("../../templates/evidence/memo.hbs");

#[derive(Serialize)]
struct Row {
    country: String,
    why: Vec<String>,
    known: bool,
    law: String,
    consent_model: String,
    model: String,
    authority: String,
    status: String,
    status_text: String,
    sources: Vec<Source>,
    eu: bool,
}

/// A cited page and its standing's mark (explained in the memo's legend).
#[derive(Serialize)]
struct Source {
    url: String,
    mark: &'static str,
}

#[derive(Serialize)]
struct Mark {
    mark: &'static str,
    meaning: &'static str,
}

#[derive(Serialize)]
struct View<'a> {
    making: super::report::Making<'a>,
    case: &'a str,
    tool: &'a str,
    operator: &'a str,
    organisation: &'a Option<String>,
    contact: &'a Option<String>,
    host: &'a str,
    fingerprint: &'a str,
    rows: Vec<Row>,
    legend: Vec<Mark>,
    table_loaded: bool,
    date_verified: String,
    /// The date as each row repeats it.
    row_date: String,
    eu_law: String,
    eu_model: String,
    eu_cross_border: String,
    exhibits: usize,
    /// Files `manifest-sha256.txt` lists: the exhibits, the report, the memo, the custody
    /// log (and the two PDFs).
    payload_files: usize,
    pdf: bool,
    originals: usize,
    messages: usize,
}

/// Renders the memo into `out`.
pub fn write<W: std::io::Write>(
    input: &Input,
    involved: &[Involved],
    table: Option<&Jurisdictions>,
    out: W,
) -> Result<(), EvidenceError> {
    let fact = |key: &str| {
        table
            .and_then(|t| t.eu_baseline.get(key))
            .and_then(|v| v["fact"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let view = View {
        making: super::report::Making::of(input),
        case: &input.options.case,
        tool: &input.options.tool,
        operator: &input.options.operator,
        organisation: &input.options.organisation,
        contact: &input.options.contact,
        host: &input.options.host,
        fingerprint: input.fingerprint,
        rows: involved.iter().map(|i| row(i, table)).collect(),
        legend: super::sources::LEGEND
            .iter()
            .map(|(mark, meaning)| Mark { mark, meaning })
            .collect(),
        table_loaded: table.is_some(),
        date_verified: table
            .and_then(|t| t.date_verified.clone())
            .unwrap_or_else(|| {
                "not dated: data/jurisdictions.json records no verification date; each row's status says how far it was checked, and every fact must be re-checked before filing".into()
            }),
        row_date: table
            .and_then(|t| t.date_verified.clone())
            .unwrap_or_else(|| "not recorded (see the note at the top)".into()),
        eu_law: fact("law"),
        eu_model: fact("model"),
        eu_cross_border: fact("cross_border"),
        exhibits: input.exhibits.len(),
        payload_files: input.exhibits.len() + if input.options.pdf { 5 } else { 3 },
        pdf: input.options.pdf,
        originals: input
            .exhibits
            .iter()
            .filter(|e| e.path.starts_with("data/originals/"))
            .count(),
        messages: input.collected.messages.len(),
    };
    super::report::registry(TEMPLATE)?
        .render_to_write("page", &view, out)
        .map_err(|err| EvidenceError::Render {
            what: "memo.html".into(),
            message: err.to_string(),
        })
}

fn row(involved: &Involved, table: Option<&Jurisdictions>) -> Row {
    let eu = Jurisdictions::is_eu(&involved.country);
    let found = table.and_then(|t| t.get(&involved.country));
    Row {
        country: involved.country.clone(),
        why: involved.reasons.clone(),
        known: found.is_some(),
        law: found.map(|j| j.law.clone()).unwrap_or_default(),
        consent_model: found.map(|j| j.consent_model.clone()).unwrap_or_default(),
        model: found.map(|j| j.model.clone()).unwrap_or_default(),
        authority: found
            .map(|j| j.authority_and_channel.clone())
            .unwrap_or_default(),
        status: found.map(|j| j.status.clone()).unwrap_or_default(),
        status_text: found.map(|j| j.status_text.clone()).unwrap_or_default(),
        sources: found
            .map(|j| {
                j.source_urls
                    .iter()
                    .map(|url| Source {
                        url: url.clone(),
                        mark: super::sources::standing(url).mark(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        eu,
    }
}
