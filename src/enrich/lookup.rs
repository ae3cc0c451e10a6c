//! The `Enricher`: runs geo, RDAP, WHOIS and DNS for one query and merges the answers.
//!
//! Every network answer goes through `fetch`, which serves it from the cache when it can (any
//! age when offline, fresh entries when online), stores new answers, and turns the answer into
//! a `LookupRecord`. Offline, whatever is not cached is listed in `missing`; since cached
//! answers keep their original time, a re-run gives an identical result.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::rr::RecordType;
use serde_json::Value;

use super::abuse::{self, AbuseContact};
use super::cache::{Cache, CachedAnswer};
use super::geo::Geo;
use super::health::Health;
use super::rdap::{self, Bootstrap, RdapClient};
use super::verify::{self, LocalFacts, NetworkClaim, Verification};
use super::whois::{self, ServerEntry, ServersMap, Subject, WhoisClient};
use super::{
    AsnInfo, DomainInfo, EnrichConfig, EnrichError, EnrichStats, IpInfo, LookupRecord,
    LookupResult, Network, PhoneInfo, PtrName, Query,
};
use super::{dns, phone, special};

/// Longest WHOIS referral chain followed.
const MAX_HOPS: usize = 5;

/// Looks things up; build once per run with [`Enricher::new`].
pub struct Enricher {
    config: EnrichConfig,
    geo: Geo,
    whois: Option<WhoisClient>,
    bootstrap: Bootstrap,
    rdap: RdapClient,
    dns_server: Option<SocketAddr>,
    cache: Cache,
    stats: Mutex<EnrichStats>,
    health: Health,
}

/// Why an answer could not be had.
enum Miss {
    /// Offline and not in the cache.
    NotCached(String),
    /// The server failed (timeout, throttling, refused, HTTP error).
    Failed(String),
}

/// What one WHOIS chain produced.
#[derive(Default)]
struct Chain {
    texts: Vec<(String, String)>,
    records: Vec<LookupRecord>,
    errors: Vec<String>,
    missing: Vec<String>,
}

impl Enricher {
    /// Open the data files and the cache. A missing data file only disables that source
    /// (reported in `missing`); an unreadable one is an error.
    pub fn new(config: EnrichConfig) -> Result<Enricher, EnrichError> {
        let geo = Geo::open(&config.country_db_path(), &config.asn_db_path())?;
        let servers = config.whois_servers_path();
        let whois = if servers.exists() {
            Some(WhoisClient::new(
                ServersMap::load(&servers)?,
                config.timeouts.clone(),
            ))
        } else {
            None
        };
        let bootstrap = Bootstrap::load(&config.rdap_bootstrap_path())?;
        let cache = match &config.cache_path {
            Some(p) => Cache::open(p)?,
            None => Cache::in_memory(),
        };
        let dns_server = config.dns_server.or_else(|| {
            let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
            dns::resolv_conf_server(&text)
        });
        Ok(Enricher {
            rdap: RdapClient::new(config.timeouts.clone()),
            config,
            geo,
            whois,
            bootstrap,
            dns_server,
            cache,
            stats: Mutex::new(EnrichStats::default()),
            health: Health::default(),
        })
    }

    /// Answers served from the network and from the cache so far.
    pub fn stats(&self) -> EnrichStats {
        *self.stats.lock().expect("stats lock")
    }

    /// The raw bytes behind a record, from the cache (for evidence packs).
    pub fn raw_answer(&self, record: &LookupRecord) -> Option<Vec<u8>> {
        self.cache
            .get(&record.kind, &record.server, &record.query, None)
            .map(|a| a.bytes)
    }

    /// The text of a WHOIS record's answer, decoded as it was when first read.
    pub fn decoded_answer(&self, record: &LookupRecord) -> Option<String> {
        let bytes = self.raw_answer(record)?;
        let label = record.encoding.as_deref().unwrap_or("UTF-8");
        let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        Some(enc.decode(&bytes).0.into_owned())
    }

    fn now(&self) -> u64 {
        self.config.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        })
    }

    /// Look up an IP, domain, URL (its host), e-mail address (its domain) or phone number.
    pub fn lookup(&self, query: &str) -> Result<LookupResult, EnrichError> {
        match special::parse_query(query).ok_or_else(|| EnrichError::BadQuery(query.to_string()))? {
            Query::Ip(ip) => Ok(LookupResult::Ip(self.lookup_ip(ip))),
            Query::Domain(d) => Ok(LookupResult::Domain(self.lookup_domain(&d))),
            Query::Asn(n) => Ok(LookupResult::Asn(self.lookup_asn(n))),
            Query::Phone(p) => Ok(LookupResult::Phone(self.lookup_phone(&p))),
        }
    }

    /// Country of a phone number (`+<digits>`); no network.
    pub fn lookup_phone(&self, number: &str) -> PhoneInfo {
        phone::lookup_phone(number)
    }

    /// Serve from the cache or ask the network, and remember the answer.
    fn fetch(
        &self,
        kind: &str,
        server: &str,
        query: &str,
        ask: impl FnOnce() -> Result<(Vec<u8>, Option<u16>), String>,
    ) -> Result<CachedAnswer, Miss> {
        let now = self.now();
        let fresh_at = (!self.config.offline).then_some(now);
        if let Some(hit) = self.cache.get(kind, server, query, fresh_at) {
            self.stats.lock().expect("stats lock").cache_hits += 1;
            return Ok(hit);
        }
        if self.config.offline {
            return Err(Miss::NotCached(format!(
                "{kind} {server} {query:?}: not in the cache (offline)"
            )));
        }
        let key = format!("{kind} {server}");
        if let Some(why) = self.health.dead(&key) {
            return Err(Miss::Failed(format!("{why}; {query:?} not looked up")));
        }
        // DNS resolvers take many parallel queries; registries get one (WHOIS) or two
        // (RDAP) at a time, on top of their clients' pacing.
        let limit = match kind {
            "dns" => 8,
            "rdap" => 2,
            _ => 1,
        };
        let (bytes, status) = self.health.run(&key, limit, ask).map_err(Miss::Failed)?;
        self.stats.lock().expect("stats lock").network_queries += 1;
        let answer = CachedAnswer {
            kind: kind.into(),
            server: server.into(),
            query: query.into(),
            time: now,
            ttl: self.config.cache_ttl.as_secs(),
            status,
            bytes,
        };
        if status.is_none_or(|s| s < 500) {
            self.cache.put(&answer);
        }
        Ok(answer)
    }

    fn record(a: &CachedAnswer, encoding: Option<&str>) -> LookupRecord {
        LookupRecord {
            kind: a.kind.clone(),
            server: a.server.clone(),
            query: a.query.clone(),
            time: a.time,
            bytes_sha256: super::sha256_hex(&a.bytes),
            size: a.bytes.len(),
            status: a.status,
            encoding: encoding.map(str::to_string),
        }
    }

    // ------------------------------------------------------------------ IPs

    /// Everything about one IP. Documentation and non-public addresses are not looked up.
    pub fn lookup_ip(&self, ip: IpAddr) -> IpInfo {
        let mut info = IpInfo {
            ip: ip.to_string(),
            ..Default::default()
        };
        if let Some(why) = special::ip_not_public(ip) {
            info.not_looked_up = Some(why.to_string());
            return info;
        }
        let g = self.geo.lookup(ip);
        (info.country, info.asn, info.as_org) = (g.country, g.asn, g.as_org);
        info.missing.extend(
            self.geo
                .missing()
                .iter()
                .map(|m| format!("{m} (not installed)")),
        );
        let local = (info.asn, info.country.clone());
        if !self.config.whois_only {
            info.network = self
                .rdap_ip(ip, &mut info)
                .map(|n| checked(ip, n, local.0, local.1.as_deref()));
        }
        if !has_usable_abuse(info.network.as_ref()) {
            let from_whois = self.whois_ip(ip, &mut info, local.0, local.1.as_deref());
            info.network = merge_network(info.network.take(), from_whois);
        }
        if !has_usable_abuse(info.network.as_ref())
            && let Some(asn) = info.asn
        {
            self.as_fallback(asn, &mut info);
        }
        if !self.config.no_dns {
            info.ptr = self.ptr(ip, &mut info.records, &mut info.errors, &mut info.missing);
        }
        info
    }

    /// No network contact: add the announcing AS's abuse contacts.
    fn as_fallback(&self, asn: u32, info: &mut IpInfo) {
        let a = self.lookup_asn(asn);
        info.records.extend(a.records);
        info.errors.extend(a.errors);
        info.missing.extend(a.missing);
        if a.abuse.is_empty() {
            return;
        }
        let contacts = a.abuse.into_iter().map(|mut c| {
            if c.scope != abuse::AbuseScope::RirCatchAll {
                c.scope = abuse::AbuseScope::AutonomousSystem;
            }
            c
        });
        let net = info.network.get_or_insert_with(|| Network {
            checks: vec![format!(
                "no network record for the address; the contacts are those of AS{asn}, which announces it according to the AS database"
            )],
            ..Default::default()
        });
        net.abuse = abuse::rank(net.abuse.drain(..).chain(contacts).collect());
    }

    // ----------------------------------------------------------------- ASNs

    /// An autonomous system: RDAP autnum first, WHOIS (via IANA `refer:`) as fallback.
    pub fn lookup_asn(&self, asn: u32) -> AsnInfo {
        let mut info = AsnInfo {
            asn,
            ..Default::default()
        };
        if let Some(why) = special::asn_not_public(asn) {
            info.missing.push(why.to_string());
            return info;
        }
        if !self.config.whois_only {
            self.rdap_asn(asn, &mut info);
        }
        if !info.abuse.iter().any(|c| {
            c.scope != abuse::AbuseScope::RirCatchAll && c.status == Verification::Verified
        }) {
            self.whois_asn(asn, &mut info);
        }
        info.abuse = abuse::rank(std::mem::take(&mut info.abuse));
        info
    }

    fn rdap_asn(&self, asn: u32, info: &mut AsnInfo) {
        let Some(base) = self.bootstrap.for_asn(asn) else {
            info.missing
                .push(format!("RDAP: no bootstrap entry for AS{asn}"));
            return;
        };
        let url = rdap::url(base, &format!("autnum/{asn}"));
        let Some(v) = self.rdap_json(
            base,
            &url,
            &mut info.records,
            &mut info.errors,
            &mut info.missing,
        ) else {
            return;
        };
        let bound = |k: &str| v.get(k).and_then(Value::as_u64);
        let status = match (bound("startAutnum"), bound("endAutnum")) {
            (Some(lo), Some(hi)) if (lo..=hi).contains(&u64::from(asn)) => Verification::Verified,
            (Some(lo), Some(hi)) => {
                info.checks.push(format!(
                    "{url}: the answer is about AS{lo}-AS{hi}, not AS{asn}"
                ));
                Verification::Conflict
            }
            _ => Verification::Unverified,
        };
        if status == Verification::Conflict {
            info.status = info.status.min(status);
            return;
        }
        info.status = info.status.min(status);
        info.name = v
            .get("name")
            .or(v.get("handle"))
            .and_then(Value::as_str)
            .map(str::to_string);
        info.holder = abuse::rdap_holder(&v);
        info.country = v
            .get("country")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let mut contacts = abuse::rdap_abuse(&v, &url, abuse::AbuseScope::Network);
        abuse::with_status(&mut contacts, status);
        info.abuse.extend(contacts);
    }

    fn whois_asn(&self, asn: u32, info: &mut AsnInfo) {
        let Some(first) = self
            .whois
            .as_ref()
            .and_then(|c| c.map.for_domain("").cloned())
        else {
            info.missing
                .push("WHOIS: no `\"\"` (IANA) server in the servers map".into());
            return;
        };
        let chain = self.whois_chain(first, &format!("AS{asn}"), Subject::Asn);
        info.records.extend(chain.records);
        info.errors.extend(chain.errors);
        info.missing.extend(chain.missing);
        for (server, text) in &chain.texts {
            if let Some(mut f) = abuse::asn_from_whois(text, server) {
                if f.asn != Some(asn) {
                    let named = f
                        .asn
                        .map_or("no AS number".to_string(), |a| format!("AS{a}"));
                    info.checks.push(format!(
                        "{server}: the answer is about {named}, not AS{asn}"
                    ));
                    continue;
                }
                info.status = Verification::Verified;
                abuse::with_status(&mut f.abuse, Verification::Verified);
                info.name = info.name.take().or(f.name);
                info.holder = info.holder.take().or(f.holder);
                info.country = info.country.take().or(f.country);
                info.abuse.extend(f.abuse);
            }
        }
    }

    fn rdap_ip(&self, ip: IpAddr, info: &mut IpInfo) -> Option<Network> {
        let Some(base) = self.bootstrap.for_ip(ip) else {
            info.missing
                .push(format!("RDAP: no bootstrap entry for {ip}"));
            return None;
        };
        let url = rdap::url(base, &format!("ip/{ip}"));
        let v = self.rdap_json(
            base,
            &url,
            &mut info.records,
            &mut info.errors,
            &mut info.missing,
        )?;
        abuse::network_from_rdap(&v, &url)
    }

    /// Fetch and parse one RDAP document; HTTP and RDAP errors go to `errors`.
    fn rdap_json(
        &self,
        base: &str,
        url: &str,
        records: &mut Vec<LookupRecord>,
        errors: &mut Vec<String>,
        missing: &mut Vec<String>,
    ) -> Option<Value> {
        let answer = match self.fetch("rdap", base, url, || {
            self.rdap.get(url).map(|a| (a.body, Some(a.status)))
        }) {
            Ok(a) => a,
            Err(m) => {
                push_miss(m, errors, missing);
                return None;
            }
        };
        records.push(Self::record(&answer, None));
        let status = answer.status.unwrap_or(0);
        let parsed: Option<Value> = serde_json::from_slice(&answer.bytes).ok();
        if !(200..300).contains(&status) {
            let detail = parsed
                .as_ref()
                .and_then(rdap::error_message)
                .unwrap_or_default();
            errors.push(format!("{url}: HTTP {status} {detail}").trim().to_string());
            return None;
        }
        if parsed.is_none() {
            errors.push(format!("{url}: answer is not JSON"));
        }
        parsed
    }

    /// The network from the WHOIS chain for `ip`: of every answer's most specific network
    /// holding the address, the most specific verified one (a later answer wins a tie, as
    /// the registry referred to is the authority). When the chain ends in a less specific
    /// or unrelated record, the notes say so and which answer was used.
    fn whois_ip(
        &self,
        ip: IpAddr,
        info: &mut IpInfo,
        asn: Option<u32>,
        country: Option<&str>,
    ) -> Option<Network> {
        let client = self.whois.as_ref()?;
        let chain = self.whois_chain(client.map.for_ip().clone(), &ip.to_string(), Subject::Ip);
        info.records.extend(chain.records);
        info.errors.extend(chain.errors);
        info.missing.extend(chain.missing);
        let answers: Vec<Network> = chain
            .texts
            .iter()
            .filter_map(|(server, text)| {
                let n = abuse::network_from_whois(text, server, ip)?;
                Some(checked(ip, n.into_network(server), asn, country))
            })
            .collect();
        let notes: Vec<String> = answers
            .iter()
            .map(|n| {
                format!(
                    "{}: {} ({})",
                    n.source.as_deref().unwrap_or("?"),
                    n.checks.join("; "),
                    n.status.name()
                )
            })
            .collect();
        let best = answers
            .iter()
            .enumerate()
            .filter(|(_, n)| n.status == Verification::Verified)
            .min_by_key(|(i, n)| (n.range.map(|r| r.span()), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let last = answers.len().checked_sub(1)?;
        let chosen = best.unwrap_or(last);
        let mut network = answers.into_iter().nth(chosen)?;
        if chosen != last {
            network.checks.push(format!(
                "the referral chain ended in a less specific or unrelated record; the answer of {} is used",
                network.source.as_deref().unwrap_or("?")
            ));
        }
        if notes.len() > 1 {
            network.checks.extend(notes);
        }
        Some(network)
    }

    /// Ask `first`, then follow referrals, keeping every answer.
    fn whois_chain(&self, first: ServerEntry, target: &str, subject: Subject) -> Chain {
        let Some(client) = self.whois.as_ref() else {
            return Chain {
                missing: vec!["WHOIS servers map (not installed)".into()],
                ..Default::default()
            };
        };
        let mut chain = Chain::default();
        let (mut entry, mut protocol) = (first, "whois");
        let tld = target.rsplit('.').next().map(str::to_string);
        for _hop in 0..MAX_HOPS {
            let line = if protocol == "rwhois" {
                target.to_string()
            } else {
                entry.query_line(target)
            };
            let answer = match self.fetch(protocol, &entry.host, &line, || {
                client
                    .exchange(&entry, protocol, target)
                    .map(|b| (b, None))
                    .map_err(|e| e.to_string())
            }) {
                Ok(a) => a,
                Err(m) => {
                    push_miss(m, &mut chain.errors, &mut chain.missing);
                    break;
                }
            };
            let hint = if subject == Subject::Domain {
                tld.as_deref()
            } else {
                None
            };
            let (text, encoding) = whois::decode(&answer.bytes, &entry.host, hint);
            chain.records.push(Self::record(&answer, Some(encoding)));
            // A domain answer's referral counts only in the domain's own record (legacy
            // Verisign answers list other names' registrars first).
            let next = if subject == Subject::Domain {
                whois::find_referral(abuse::domain_record(&text, target).text)
            } else {
                whois::find_referral(&text)
            };
            chain.texts.push((entry.host.clone(), text));
            let Some(referral) = next else { break };
            if referral.host.eq_ignore_ascii_case(&entry.host)
                || chain
                    .texts
                    .iter()
                    .any(|(h, _)| h.eq_ignore_ascii_case(&referral.host))
            {
                break;
            }
            entry = client.referral_entry(&referral, subject);
            protocol = referral.protocol;
        }
        chain
    }

    fn ptr(
        &self,
        ip: IpAddr,
        records: &mut Vec<LookupRecord>,
        errors: &mut Vec<String>,
        missing: &mut Vec<String>,
    ) -> Vec<PtrName> {
        let names = self.dns(
            &dns::reverse_name(ip),
            RecordType::PTR,
            records,
            errors,
            missing,
        );
        let rtype = if ip.is_ipv4() {
            RecordType::A
        } else {
            RecordType::AAAA
        };
        names
            .into_iter()
            .map(|name| {
                let addrs = self.dns(&name, rtype, records, errors, missing);
                let confirmed = addrs
                    .iter()
                    .any(|a| a.parse::<IpAddr>().is_ok_and(|a| a == ip));
                PtrName { name, confirmed }
            })
            .collect()
    }

    fn dns(
        &self,
        name: &str,
        rtype: RecordType,
        records: &mut Vec<LookupRecord>,
        errors: &mut Vec<String>,
        missing: &mut Vec<String>,
    ) -> Vec<String> {
        let Some(server) = self.dns_server else {
            missing.push("DNS: no resolver configured".into());
            return Vec::new();
        };
        let timeout = self.config.timeouts.dns;
        let query = format!("{name} {rtype}");
        let answer = match self.fetch("dns", &server.to_string(), &query, || {
            dns::exchange(server, name, rtype, timeout).map(|b| (b, None))
        }) {
            Ok(a) => a,
            Err(m) => {
                push_miss(m, errors, missing);
                return Vec::new();
            }
        };
        match dns::parse_answer(&answer.bytes, rtype) {
            Ok(parsed) => {
                let mut rec = Self::record(&answer, None);
                rec.status = Some(parsed.rcode);
                records.push(rec);
                parsed.values
            }
            Err(e) => {
                errors.push(format!("DNS {query}: {e}"));
                Vec::new()
            }
        }
    }

    // -------------------------------------------------------------- domains

    /// Everything about one domain: registrar and its abuse contact (of the registrable
    /// domain), and A/AAAA/MX/NS of the name as given.
    pub fn lookup_domain(&self, domain: &str) -> DomainInfo {
        let d = domain.trim().trim_end_matches('.').to_lowercase();
        // IDNs are asked about in their ASCII (punycode) form everywhere.
        let d = idna::domain_to_ascii(&d).unwrap_or(d);
        let mut info = DomainInfo {
            domain: d.clone(),
            ..Default::default()
        };
        if let Some(why) = special::domain_not_public(&d) {
            info.not_looked_up = Some(why.to_string());
            return info;
        }
        let reg = psl::domain_str(&d).unwrap_or(&d).to_string();
        info.registered_domain = Some(reg.clone());
        if !self.config.whois_only {
            self.rdap_domain(&reg, &mut info);
        }
        if !info.abuse.iter().any(|c| {
            c.scope != abuse::AbuseScope::RirCatchAll && c.status == Verification::Verified
        }) {
            self.whois_domain(&reg, &mut info);
        }
        info.abuse = abuse::rank(std::mem::take(&mut info.abuse));
        if !self.config.no_dns {
            let (r, e, m) = (&mut info.records, &mut info.errors, &mut info.missing);
            info.a = self.dns(&d, RecordType::A, r, e, m);
            info.aaaa = self.dns(&d, RecordType::AAAA, r, e, m);
            info.mx = self.dns(&d, RecordType::MX, r, e, m);
            info.ns = self.dns(&reg, RecordType::NS, r, e, m);
        }
        info
    }

    fn rdap_domain(&self, reg: &str, info: &mut DomainInfo) {
        let Some(base) = self.bootstrap.for_domain(reg) else {
            info.missing
                .push(format!("RDAP: no bootstrap entry for {reg}"));
            return;
        };
        let url = rdap::url(base, &format!("domain/{reg}"));
        let Some(v) = self.rdap_json(
            base,
            &url,
            &mut info.records,
            &mut info.errors,
            &mut info.missing,
        ) else {
            return;
        };
        let Some(status) = rdap_domain_status(&v, reg, &url, info) else {
            return;
        };
        let (name, id, contacts) = abuse::registrar_from_rdap(&v, &url);
        set_registrar(info, (name, id, contacts), status);
        if info.abuse.is_empty()
            && let Some(related) = related_rdap_link(&v)
        {
            let base = related
                .split("/domain/")
                .next()
                .unwrap_or(&related)
                .to_string();
            if let Some(v2) = self.rdap_json(
                &base,
                &related,
                &mut info.records,
                &mut info.errors,
                &mut info.missing,
            ) && let Some(status) = rdap_domain_status(&v2, reg, &related, info)
            {
                set_registrar(info, abuse::registrar_from_rdap(&v2, &related), status);
            }
        }
    }

    fn whois_domain(&self, reg: &str, info: &mut DomainInfo) {
        let Some(client) = self.whois.as_ref() else {
            info.missing
                .push("WHOIS servers map (not installed)".into());
            return;
        };
        let Some(first) = client.map.for_domain(reg).cloned() else {
            info.missing.push(format!("WHOIS: no server for {reg}"));
            return;
        };
        let chain = self.whois_chain(first, reg, Subject::Domain);
        info.records.extend(chain.records);
        info.errors.extend(chain.errors);
        info.missing.extend(chain.missing);
        for (server, text) in &chain.texts {
            let record = abuse::domain_record(text, reg);
            info.checks.push(format!("{server}: {}", record.note));
            let text = match record.status {
                Verification::Verified => record.text,
                Verification::Unverified => text.as_str(),
                Verification::Conflict => continue,
            };
            set_registrar(
                info,
                abuse::registrar_from_whois(text, server),
                record.status,
            );
        }
    }
}

/// Checks an RDAP domain answer's `ldhName` against the domain asked; `None` (noted) when
/// it is about another domain.
fn rdap_domain_status(
    v: &Value,
    reg: &str,
    url: &str,
    info: &mut DomainInfo,
) -> Option<Verification> {
    let name = v
        .get("ldhName")
        .or(v.get("unicodeName"))
        .and_then(Value::as_str);
    let (status, note) = match name {
        Some(n) if verify::domain_matches(reg, n) => (
            Verification::Verified,
            format!("the answer is about {}", n.to_ascii_lowercase()),
        ),
        Some(n) => (
            Verification::Conflict,
            format!("the answer is about {n}, not {reg}"),
        ),
        None => (
            Verification::Unverified,
            format!("the answer names no domain, so it cannot be checked against {reg}"),
        ),
    };
    info.checks.push(format!("{url}: {note}"));
    (status != Verification::Conflict).then_some(status)
}

/// Registrar facts from one answer; a better-checked answer's name wins.
fn set_registrar(
    info: &mut DomainInfo,
    (name, id, mut contacts): (Option<String>, Option<String>, Vec<AbuseContact>),
    status: Verification,
) {
    let better = status < info.registrar_status;
    if info.registrar.is_none() || (better && name.is_some()) {
        info.registrar = name;
    }
    if info.registrar_iana_id.is_none() || (better && id.is_some()) {
        info.registrar_iana_id = id;
    }
    if info.registrar.is_some() || !contacts.is_empty() {
        info.registrar_status = info.registrar_status.min(status);
    }
    abuse::with_status(&mut contacts, status);
    info.abuse.extend(contacts);
}

/// The registrar's own RDAP record, linked from a registry answer with `rel: related`.
fn related_rdap_link(v: &Value) -> Option<String> {
    let links = v.get("links")?.as_array()?;
    links.iter().find_map(|l| {
        let rel = l.get("rel")?.as_str()?;
        let typ = l
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("application/rdap+json");
        (rel == "related" && typ.contains("rdap"))
            .then(|| l.get("href")?.as_str().map(str::to_string))?
    })
}

fn push_miss(m: Miss, errors: &mut Vec<String>, missing: &mut Vec<String>) {
    match m {
        Miss::NotCached(s) => missing.push(s),
        Miss::Failed(s) => errors.push(s),
    }
}

/// Does the network have a verified contact that is not a registry's catch-all?
fn has_usable_abuse(network: Option<&Network>) -> bool {
    network.is_some_and(|n| {
        n.abuse.iter().any(|c| {
            c.scope != abuse::AbuseScope::RirCatchAll && c.status == Verification::Verified
        })
    })
}

/// Checks a network answer for `ip` and marks its contacts with the result.
fn checked(ip: IpAddr, mut network: Network, asn: Option<u32>, country: Option<&str>) -> Network {
    let claim = NetworkClaim {
        range: network.range,
        range_text: network.cidr.as_deref(),
        origin_asns: &network.origin_asns,
        country: network.country.as_deref(),
    };
    let (status, notes) = verify::check_network(ip, &claim, LocalFacts { asn, country });
    network.status = status;
    network.checks = notes;
    abuse::with_status(&mut network.abuse, status);
    network
}

/// RDAP and WHOIS networks: a verified one before one that is not, then the more
/// specific; the other only fills the name and country when it is verified too. Contacts
/// are only ever those of the chosen network (the most specific holding the address).
fn merge_network(rdap: Option<Network>, whois: Option<Network>) -> Option<Network> {
    match (rdap, whois) {
        (Some(r), Some(w)) => {
            let key = |n: &Network| (n.status, n.range.map(|x| x.span()));
            let (mut first, other) = if key(&w) < key(&r) { (w, r) } else { (r, w) };
            if other.status == Verification::Verified {
                if other.range == first.range {
                    first.abuse = abuse::rank(first.abuse.into_iter().chain(other.abuse).collect());
                }
                first.netname = first.netname.or(other.netname);
                first.country = first.country.or(other.country);
            }
            first.checks.extend(
                other
                    .checks
                    .iter()
                    .map(|c| format!("{}: {c}", other.source.as_deref().unwrap_or("?"))),
            );
            Some(first)
        }
        (r, w) => r.or(w),
    }
}
