//! Country and ASN of an IP from local MaxMind-format databases (no network).
//!
//! The shipped `data/country.mmdb` (ip-location-db geo-whois-asn-country: `country_code`) and
//! `data/asn.mmdb` (GeoLite2-ASN field names) are read by default; GeoLite2-Country/-City/-ASN
//! files can be given instead, since both record shapes are understood.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::Reader;
use serde::Deserialize;

use super::EnrichError;

/// Open MaxMind-format databases. A missing file leaves that part empty.
pub struct Geo {
    country: Option<Reader<maxminddb::Mmap>>,
    asn: Option<Reader<maxminddb::Mmap>>,
}

/// Country and ASN of one address, as far as the databases know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GeoAnswer {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow)]
    registered_country: Option<IsoCode<'a>>,
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    iso_code: Option<&'a str>,
}

impl Geo {
    /// Open both databases; a path that does not exist is skipped, a broken file is an error.
    pub fn open(country: &Path, asn: &Path) -> Result<Geo, EnrichError> {
        Ok(Geo {
            country: open_opt(country)?,
            asn: open_opt(asn)?,
        })
    }

    /// Which databases are missing, for `missing` notes.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.country.is_none() {
            out.push("country database");
        }
        if self.asn.is_none() {
            out.push("ASN database");
        }
        out
    }

    pub fn lookup(&self, ip: IpAddr) -> GeoAnswer {
        let mut answer = GeoAnswer::default();
        if let Some(r) = &self.country
            && let Ok(Some(rec)) = r.lookup::<CountryRecord>(ip)
        {
            let code = rec
                .country_code
                .or(rec.country.and_then(|c| c.iso_code))
                .or(rec.registered_country.and_then(|c| c.iso_code));
            answer.country = code.map(str::to_string);
        }
        if let Some(r) = &self.asn
            && let Ok(Some(rec)) = r.lookup::<maxminddb::geoip2::Asn>(ip)
        {
            answer.asn = rec.autonomous_system_number;
            answer.as_org = rec.autonomous_system_organization.map(str::to_string);
        }
        answer
    }
}

fn open_opt(path: &Path) -> Result<Option<Reader<maxminddb::Mmap>>, EnrichError> {
    if !path.exists() {
        return Ok(None);
    }
    // Memory-mapped: a run touches only the pages of the addresses it looks up, so the
    // 19 MB of databases do not sit in every process's resident memory.
    Reader::open_mmap(path)
        .map(Some)
        .map_err(|e| EnrichError::Data {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}
