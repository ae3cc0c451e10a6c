//! Anti-spam law and complaint channel per country, from `data/jurisdictions.json`.
//!
//! The file is generated from the research note `reference/jurisdictions.md` by
//! `scripts/jurisdictions_to_json.py`; every row keeps its verification status, and EU members
//! without a row fall back to the EU baseline (ePrivacy Directive).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::EnrichError;

/// One country's row, cell text as in the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// Code as the note writes it (`UK` for the United Kingdom).
    pub country: String,
    /// ISO 3166 alpha-2 (`GB` for the note's `UK`).
    pub iso3166: String,
    /// Law name and citation.
    pub law: String,
    /// `opt-in`, `opt-out`, `none` or `unclear`.
    pub consent_model: String,
    /// The note's words on the consent model.
    pub model: String,
    /// Authority and how to complain.
    pub authority_and_channel: String,
    pub eu_member: bool,
    pub sources: String,
    pub source_urls: Vec<String>,
    /// `verified`, `partly-verified` or `unverified`.
    pub status: String,
    pub status_text: String,
}

#[derive(Deserialize)]
struct File {
    countries: Vec<Jurisdiction>,
    eu_baseline: serde_json::Map<String, serde_json::Value>,
    date_verified: Option<String>,
}

/// The table, loaded once.
#[derive(Debug, Clone)]
pub struct Jurisdictions {
    countries: Vec<Jurisdiction>,
    /// EU ePrivacy baseline (`law`, `model`, `cross_border`, `status` → `{fact, source}`).
    pub eu_baseline: serde_json::Map<String, serde_json::Value>,
    /// When the note was verified; the note gives no date, so `None` for now.
    pub date_verified: Option<String>,
}

/// EU member states (for the baseline fallback).
const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Jurisdictions {
    pub fn load(path: &Path) -> Result<Jurisdictions, EnrichError> {
        let err = |m: String| EnrichError::Data {
            path: path.display().to_string(),
            message: m,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let f: File = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        Ok(Jurisdictions {
            countries: f.countries,
            eu_baseline: f.eu_baseline,
            date_verified: f.date_verified,
        })
    }

    /// The row for an ISO 3166 alpha-2 code (`GB` and `UK` both work).
    pub fn get(&self, country: &str) -> Option<&Jurisdiction> {
        let cc = country.to_ascii_uppercase();
        self.countries
            .iter()
            .find(|j| j.iso3166 == cc || j.country == cc)
    }

    /// Is the country an EU member (so the EU baseline applies even without a row)?
    pub fn is_eu(country: &str) -> bool {
        EU.contains(&country.to_ascii_uppercase().as_str())
    }

    /// All rows, sorted by code.
    pub fn all(&self) -> &[Jurisdiction] {
        &self.countries
    }
}
