//! Country and ASN of an IP from local MaxMind-format databases (no network).
//!
//! The shipped `data/country.mmdb` (ip-location-db geo-whois-asn-country: `country_code`) and
//! `data/asn.mmdb` (GeoLite2-ASN field names) are read by default; GeoLite2-Country/-City/-ASN
//! files can be given instead, since both record shapes are understood.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;

use maxminddb::Reader;
use serde::Deserialize;

use super::EnrichError;

/// Open MaxMind-format databases. A missing file leaves that part empty.
pub struct Geo {
    country: Option<Reader<maxminddb::Mmap>>,
    asn: Option<Reader<maxminddb::Mmap>>,
    /// Answers already looked up. A tree walk touches some thirty scattered nodes of a
    /// mapped file (cache misses, on a first look page faults), and the same addresses
    /// come back message after message: a campaign's senders, the big bouncers.
    recent: Mutex<HashMap<IpAddr, GeoAnswer>>,
}

/// Answers kept before the cache starts afresh (a few hundred kilobytes at most).
const RECENT_MAX: usize = 4096;

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
            recent: Mutex::new(HashMap::new()),
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
        // A thread that panicked while holding the lock left a map of whole answers.
        let recent = || self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = recent().get(&ip) {
            return known.clone();
        }
        let answer = self.look_up(ip);
        let mut recent = recent();
        if recent.len() >= RECENT_MAX {
            recent.clear();
        }
        recent.insert(ip, answer.clone());
        answer
    }

    /// [`Geo::lookup`] in the databases themselves.
    fn look_up(&self, ip: IpAddr) -> GeoAnswer {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Geo {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        Geo::open(&data.join("country.mmdb"), &data.join("asn.mmdb")).expect("shipped databases")
    }

    #[test]
    fn remembered_answers_are_the_databases_answers() {
        let geo = shipped();
        let ips: Vec<IpAddr> = ["8.8.8.8", "193.0.6.139", "2001:4860:4860::8888", "10.0.0.1"]
            .iter()
            .map(|s| s.parse().expect("ip"))
            .collect();
        let google = geo.lookup(ips[0]);
        assert_eq!(google.asn, Some(15169));
        for &ip in &ips {
            let first = geo.lookup(ip);
            assert_eq!(first, geo.look_up(ip));
            assert_eq!(geo.lookup(ip), first, "{ip} from the cache");
        }
        assert_eq!(geo.recent.lock().expect("lock").len(), ips.len());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let geo = shipped();
        for i in 0..(RECENT_MAX as u32 + 10) {
            geo.lookup(IpAddr::from(std::net::Ipv4Addr::from(0x0808_0000 + i)));
        }
        assert!(geo.recent.lock().expect("lock").len() <= RECENT_MAX);
    }
}
