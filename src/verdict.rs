//! Verdict (pure): is a bounce backscatter (a reply to mail we never sent), a bounce of
//! our own mail, or unknown? Every signal found is written out as a reason.
//!
//! Signals, strongest first: a BATV tag on the address the bounce came back to
//! (draft-levine-smtp-batv: `prvs=KDDDSSSSSS=local@domain`, valid = ours, invalid or
//! expired = forged; a bare address of a signing domain = forged), the Message-ID of the
//! returned original in our outbound log, the returned original's relays against our own,
//! and a DKIM signature by our domain on it. SRS addresses are decoded first.

use std::collections::HashSet;

use hmac::{Hmac, Mac};
use mail_parser::HeaderValue;
use serde::Serialize;
use sha1::Sha1;

use crate::bounce::headers::Block;
use crate::bounce::{BounceReport, Kind, Original};
use crate::config::Config;
use crate::received::Origin;

/// The decision on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Backscatter,
    OwnBounce,
    Unknown,
    /// Not a delivery report, but a response to mail in our name: a null envelope sender,
    /// `Auto-Submitted` other than `no`, or `In-Reply-To`/`References` naming one of our
    /// Message-IDs. Never "spam received directly": it has no origin and accuses no one.
    Reply,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub reasons: Vec<String>,
    /// Our addresses the bounce was sent back to (after BATV/SRS decoding).
    pub bounced_to: Vec<String>,
}

/// What the verdict needs besides the message: config, the outbound log and the day
/// the bounce arrived (days since 1970; BATV expiry is judged on that day).
pub struct VerdictContext<'a> {
    pub config: &'a Config,
    pub outbound_ids: &'a HashSet<String>,
    pub arrival_day: i64,
}

/// One piece of evidence and which way it points.
enum Signal {
    Forged(String),
    Ours(String),
    Neutral(String),
}

/// Judges one decoded message. `outer` is the whole message as read; `origin` is where
/// the trust walk found the returned original entered the bouncer, if it did.
pub fn judge(
    outer: &[u8],
    bounce: &BounceReport,
    ctx: &VerdictContext,
    origin: Option<&Origin>,
) -> Verdict {
    let addresses = addressed_to(outer, bounce, ctx.config);
    if bounce.kind == Kind::NotABounce {
        let signs = response_signs(outer, &bounce.header, ctx.config);
        if !signs.is_empty() {
            let mut reasons = vec![
                "not a delivery report, but a response to mail in our name: never spam received directly, and the host that delivered it to us is not its origin".to_string(),
            ];
            reasons.extend(signs);
            return Verdict {
                verdict: VerdictKind::Reply,
                reasons,
                bounced_to: addresses.iter().map(|a| a.plain.clone()).collect(),
            };
        }
    }
    if matches!(bounce.kind, Kind::NotABounce | Kind::FeedbackReport) {
        let what = if bounce.kind == Kind::NotABounce {
            "not a bounce"
        } else {
            "an abuse feedback report"
        };
        return Verdict {
            verdict: VerdictKind::Unknown,
            reasons: vec![format!("{what}: no verdict on backscatter")],
            bounced_to: addresses.iter().map(|a| a.plain.clone()).collect(),
        };
    }
    let mut signals = Vec::new();
    for address in &addresses {
        signals.extend(batv_signal(address, ctx));
    }
    if let Some(original) = &bounce.original {
        signals.extend(original_signals(original, ctx));
        let has_own_signal = signals
            .iter()
            .any(|s| matches!(s, Signal::Ours(_) | Signal::Forged(_)));
        if !has_own_signal {
            signals.extend(origin_signal(original, origin, ctx.config));
        }
    }
    decide(signals, addresses, ctx.config)
}

fn decide(signals: Vec<Signal>, addresses: Vec<Address>, config: &Config) -> Verdict {
    let mut reasons = Vec::new();
    let (mut forged, mut ours) = (0, 0);
    for signal in signals {
        match signal {
            Signal::Forged(reason) => {
                forged += 1;
                reasons.push(reason);
            }
            Signal::Ours(reason) => {
                ours += 1;
                reasons.push(reason);
            }
            Signal::Neutral(reason) => reasons.push(reason),
        }
    }
    let verdict = match (forged, ours) {
        (0, 0) => {
            if config.own_domains.is_empty() {
                reasons.push(
                    "no own_domains configured: cannot tell our mail from forged mail".into(),
                );
            } else {
                reasons.push(
                    "no signal either way (configure own_relays, batv_keys or outbound_log)".into(),
                );
            }
            VerdictKind::Unknown
        }
        (_, 0) => VerdictKind::Backscatter,
        (0, _) => VerdictKind::OwnBounce,
        _ => {
            reasons.push("signals conflict".into());
            VerdictKind::Unknown
        }
    };
    Verdict {
        verdict,
        reasons,
        bounced_to: addresses.into_iter().map(|a| a.plain).collect(),
    }
}

/// What marks a message as a response rather than mail on its own account (RFC 3834,
/// RFC 5321 section 4.5.5): the null envelope sender notifications use, `Auto-Submitted`
/// other than `no`, and a reply reference to a Message-ID of ours. Structure only, no MTA
/// names; each sign found is one reason.
pub fn response_signs(message: &[u8], block: &Block, config: &Config) -> Vec<String> {
    let mut signs = Vec::new();
    // The Return-Path our delivery agent wrote is the topmost one.
    if let Some(path) = block.get(message, "return-path") {
        let path = crate::bounce::headers::unfold(path);
        if path
            .trim_matches(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .is_empty()
        {
            signs.push("null envelope sender (Return-Path: <>): a notification, not mail on its own account".into());
        }
    }
    if let Some(value) = block.text(message, "auto-submitted") {
        let token = value
            .split(|c: char| c == ';' || c == '(' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !token.is_empty() && token != "no" {
            signs.push(format!(
                "Auto-Submitted: {token}: generated automatically (RFC 3834)"
            ));
        }
    }
    if !config.own_domains.is_empty() {
        for name in ["in-reply-to", "references"] {
            let ours = block
                .values(message, name)
                .flat_map(|raw| message_id_domains(&crate::bounce::headers::unfold(raw)))
                .find(|domain| config.is_own_domain(domain));
            if let Some(domain) = ours {
                signs.push(format!(
                    "{} names a Message-ID of ours (@{domain}): a reply to mail in our name",
                    if name == "in-reply-to" {
                        "In-Reply-To"
                    } else {
                        "References"
                    }
                ));
            }
        }
    }
    signs
}

/// The domain parts of the `<local@domain>` message ids in a reference field (at most 100).
fn message_id_domains(value: &str) -> Vec<String> {
    value
        .split('<')
        .skip(1)
        .filter_map(|id| id.split_once('>').map(|(inner, _)| inner))
        .filter_map(|id| {
            id.rsplit_once('@')
                .map(|(_, d)| d.trim().to_ascii_lowercase())
        })
        .filter(|d| !d.is_empty())
        .take(100)
        .collect()
}

/// An address of ours the bounce was delivered to, as written and decoded.
#[derive(Debug, Clone, PartialEq)]
struct Address {
    written: String,
    /// With BATV tag and SRS wrapping removed.
    plain: String,
}

/// Our addresses the bounce was sent to: delivery headers of the bounce, and the
/// envelope sender and From of the returned original.
fn addressed_to(outer: &[u8], bounce: &BounceReport, config: &Config) -> Vec<Address> {
    let mut candidates = header_addresses(
        outer,
        &bounce.header,
        &[
            "Delivered-To",
            "X-Original-To",
            "Envelope-To",
            "X-Envelope-To",
            "To",
        ],
    );
    if let Some(original) = &bounce.original {
        candidates.extend(header_addresses(
            &original.bytes,
            &original.header,
            &["Return-Path", "From", "Sender"],
        ));
    }
    let mut found: Vec<Address> = Vec::new();
    for written in candidates {
        let plain = decode_srs(&written).unwrap_or_else(|| written.clone());
        let plain = strip_batv(&plain).map(|b| b.address).unwrap_or(plain);
        let domain = plain.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if config.is_own_domain(domain) && !found.iter().any(|f| f.written == written) {
            found.push(Address { written, plain });
        }
    }
    found
}

/// Addresses in the named fields of `message`'s header block, lower case, in field order.
/// Address fields are read with mail-parser's address parser, `Return-Path` as a path,
/// the rest (`Delivered-To`, ...) as a bare address.
fn header_addresses(message: &[u8], block: &Block, names: &[&str]) -> Vec<String> {
    const ADDRESS_FIELDS: [&str; 5] = ["from", "to", "sender", "cc", "reply-to"];
    let mut out = Vec::new();
    for field in &block.fields {
        let name = &message[field.name.clone()];
        if !names
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
        {
            continue;
        }
        let raw = &message[field.value.clone()];
        if ADDRESS_FIELDS
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
        {
            out.extend(
                crate::mailparse::mailboxes(raw)
                    .into_iter()
                    .filter_map(|m| m.address)
                    .map(|a| a.trim().to_ascii_lowercase()),
            );
        } else if name.eq_ignore_ascii_case(b"return-path") {
            out.extend(
                crate::mailparse::single_id(raw)
                    .as_deref()
                    .and_then(bare_address),
            );
        } else {
            out.extend(bare_address(&crate::bounce::headers::unfold(raw)));
        }
    }
    out
}

fn bare_address(text: &str) -> Option<String> {
    let text = text
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (text.contains('@') && !text.contains(char::is_whitespace)).then(|| text.to_ascii_lowercase())
}

/// A parsed BATV tag.
#[derive(Debug, Clone, PartialEq)]
struct Batv {
    key: char,
    expiry_day: u16,
    hash: String,
    address: String,
}

/// `prvs=KDDDSSSSSS=local@domain` (also the older `local=prvs=...`), case-insensitive.
fn strip_batv(address: &str) -> Option<Batv> {
    let (local, domain) = address.rsplit_once('@')?;
    let lower = local.to_ascii_lowercase();
    let (tag, orig_local) = if let Some(rest) = lower.strip_prefix("prvs=") {
        rest.split_once('=')?
    } else {
        let (orig, tagged) = lower.split_once("=prvs=")?;
        (tagged, orig)
    };
    let tag = tag.as_bytes();
    if tag.len() != 10 || !tag[0].is_ascii_digit() || !tag[1..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !tag[4..].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some(Batv {
        key: tag[0] as char,
        expiry_day: std::str::from_utf8(&tag[1..4]).ok()?.parse().ok()?,
        hash: std::str::from_utf8(&tag[4..]).ok()?.to_string(),
        address: format!("{orig_local}@{}", domain.to_ascii_lowercase()),
    })
}

/// The BATV hash: first three bytes of HMAC-SHA1(secret, "KDDD" + original address).
fn batv_hash(secret: &str, key: char, expiry_day: u16, address: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(format!("{key}{expiry_day:03}{address}").as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..3])
}

/// How many days a tag stays valid at most; older tags are expired.
const BATV_MAX_VALIDITY_DAYS: i64 = 30;

fn batv_signal(address: &Address, ctx: &VerdictContext) -> Option<Signal> {
    let config = ctx.config;
    let domain = address.plain.rsplit_once('@').map(|(_, d)| d.to_string())?;
    let signing = config.batv_signing_domains().contains(&domain);
    let Some(tag) = strip_batv(&address.written) else {
        return signing.then(|| {
            Signal::Forged(format!(
                "bounce sent to the untagged address {} although {domain} BATV-tags every envelope sender",
                address.written
            ))
        });
    };
    let Some(secret) = config.batv_keys.get(&tag.key.to_string()) else {
        return Some(Signal::Neutral(format!(
            "BATV tag on {} uses key {} which is not configured",
            address.written, tag.key
        )));
    };
    if batv_hash(secret, tag.key, tag.expiry_day, &tag.address) != tag.hash {
        return Some(Signal::Forged(format!(
            "BATV tag on {} does not verify (wrong hash): forged",
            address.written
        )));
    }
    let remaining = (i64::from(tag.expiry_day) - ctx.arrival_day).rem_euclid(1000);
    if remaining > BATV_MAX_VALIDITY_DAYS {
        return Some(Signal::Forged(format!(
            "BATV tag on {} had expired when the bounce arrived",
            address.written
        )));
    }
    Some(Signal::Ours(format!(
        "BATV tag on {} is valid: we sent the bounced message",
        address.written
    )))
}

/// Decodes SRS0/SRS1 (`SRS0=HHH=TT=domain=local@forwarder`) to the original address.
fn decode_srs(address: &str) -> Option<String> {
    let (local, _) = address.rsplit_once('@')?;
    let upper = local.get(..5)?.to_ascii_uppercase();
    let rest = match upper.as_str() {
        "SRS0=" | "SRS0+" | "SRS0-" => &local[5..],
        "SRS1=" | "SRS1+" | "SRS1-" => local.split_once("==").map(|(_, r)| r)?,
        _ => return None,
    };
    let mut fields = rest.splitn(4, '=');
    let (_hash, _time, domain, original_local) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    (!domain.is_empty() && !original_local.is_empty())
        .then(|| format!("{original_local}@{domain}").to_ascii_lowercase())
}

/// Signals from the returned original: outbound log, our relays, DKIM by our domain.
fn original_signals(original: &Original, ctx: &VerdictContext) -> Vec<Signal> {
    let config = ctx.config;
    let mut signals = Vec::new();
    let (block, original) = (&original.header, &original.bytes[..]);
    if let Some(id) = block
        .last(original, "message-id")
        .and_then(crate::mailparse::single_id)
    {
        let id = id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        if ctx.outbound_ids.contains(&id) {
            signals.push(Signal::Ours(format!(
                "Message-ID <{id}> of the returned original is in our outbound log"
            )));
        } else if !ctx.outbound_ids.is_empty() {
            signals.push(Signal::Forged(format!(
                "Message-ID <{id}> of the returned original is not in our outbound log"
            )));
        }
    }
    if !config.own_relays.is_empty() {
        let peers = crate::mailparse::received_lines()
            .parse_headers(original)
            .map(|parsed| received_peers(&parsed))
            .unwrap_or_default();
        match peers
            .iter()
            .find(|ip| config.own_relays.iter().any(|net| net.contains(**ip)))
        {
            Some(ip) => signals.push(Signal::Ours(format!(
                "the returned original passed our relay {ip}"
            ))),
            None if !peers.is_empty() => signals.push(Signal::Forged(
                "the returned original never passed our own relays (own_relays)".into(),
            )),
            None => {}
        }
    }
    for raw in block.values(original, "dkim-signature") {
        let value = crate::bounce::headers::unfold(raw);
        if let Some(domain) = dkim_domain(&value)
            && config.is_own_domain(&domain)
        {
            signals.push(Signal::Ours(format!(
                "the returned original carries a DKIM signature by our domain d={domain} (not verified here)"
            )));
        }
    }
    signals
}

/// Without relays, BATV or a log configured: a returned original that claims a sender at
/// our domain but entered the bouncer from a host whose recorded reverse name is not ours
/// did not come from us. A reverse name of ours proves nothing either way until it is
/// confirmed forward (the verdict stays unknown); a HELO of ours is the sender's claim.
fn origin_signal(original: &Original, origin: Option<&Origin>, config: &Config) -> Option<Signal> {
    let origin = origin?;
    if config.own_domains.is_empty() {
        return None;
    }
    let claimed = header_addresses(
        &original.bytes,
        &original.header,
        &["From", "Return-Path", "Sender"],
    )
    .into_iter()
    .find(|address| {
        address
            .rsplit_once('@')
            .is_some_and(|(_, d)| config.is_own_domain(d))
    })?;
    let is_ours = |name: &str| {
        config.is_own_domain(name) || config.own_mx.iter().any(|mx| mx.eq_ignore_ascii_case(name))
    };
    // A name never makes a host ours: the reverse name is written by whoever holds the
    // address, the HELO by the sender itself. Only a forward-confirmed reverse name
    // (FCrDNS, which this pure stage cannot do) or our relays' addresses could.
    if let Some(rdns) = origin.rdns.as_deref().filter(|r| is_ours(r))
        && origin.rdns_may_be_forged
    {
        return Some(Signal::Forged(format!(
            "the returned original claims the sender {claimed} and entered the bouncer from [{}] under the reverse name {rdns}, one of ours, but the bouncer marked that name \"may be forged\" (it does not resolve back to that address): not a host of ours",
            origin.ip
        )));
    }
    if let Some(rdns) = origin.rdns.as_deref().filter(|r| is_ours(r)) {
        return Some(Signal::Neutral(format!(
            "the returned original entered the bouncer from [{}], whose reverse name {rdns} is one of ours; that name is not confirmed forward (needs FCrDNS of {rdns} to {}), and no relay address of ours is configured: whether we sent it is unknown",
            origin.ip, origin.ip
        )));
    }
    let host = origin
        .rdns
        .as_deref()
        .map(|r| format!("{r} "))
        .unwrap_or_default();
    let helo_note = origin
        .helo
        .as_deref()
        .filter(|h| is_ours(h))
        .map(|h| {
            format!(" (it greeted as {h}, a name of ours, but a HELO is the sender's own claim)")
        })
        .unwrap_or_default();
    Some(Signal::Forged(format!(
        "the returned original claims the sender {claimed} but the bouncer received it from {host}[{}]{helo_note}, not a host of ours, with no DKIM signature of ours",
        origin.ip
    )))
}

fn received_peers(parsed: &mail_parser::Message) -> Vec<std::net::IpAddr> {
    parsed
        .headers()
        .iter()
        .filter_map(|h| match &h.value {
            HeaderValue::Received(received) => received.from_ip,
            _ => None,
        })
        .collect()
}

/// The `d=` tag of a DKIM-Signature header value.
fn dkim_domain(value: &str) -> Option<String> {
    value.split(';').find_map(|tag| {
        let (name, val) = tag.split_once('=')?;
        (name.trim() == "d").then(|| val.trim().to_ascii_lowercase())
    })
}

/// Days since 1970-01-01 of a Unix time.
pub fn day_number(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounce::{Completeness, Original};

    fn config(extra: &str) -> Config {
        Config::parse(
            &format!("own_domains = [\"victim.example\"]\n{extra}"),
            std::path::Path::new("t.toml"),
        )
        .unwrap()
    }

    fn bounce(kind: Kind, original: Option<&[u8]>) -> BounceReport {
        let mut report = crate::bounce::decode(b"");
        report.kind = kind;
        report.original = original.map(|bytes| Original {
            bytes: bytes.to_vec(),
            range: None,
            completeness: Completeness::Full,
            sha256: String::new(),
            message_id: None,
            from: None,
            subject: None,
            date: None,
            carrier: "message/rfc822".into(),
            depth: 1,
            header: crate::bounce::headers::parse_block(bytes, 0, bytes.len()),
            structure: None,
        });
        report
    }

    fn judge_with(
        config: &Config,
        outer: &[u8],
        report: &BounceReport,
        ids: &HashSet<String>,
    ) -> Verdict {
        // The report stands for a decode of `outer`: its header block is outer's.
        let mut report = report.clone();
        report.header = crate::bounce::headers::parse_block(outer, 0, outer.len());
        judge(
            outer,
            &report,
            &VerdictContext {
                config,
                outbound_ids: ids,
                arrival_day: 20_000,
            },
            None,
        )
    }

    fn tagged(secret: &str, key: char, day: u16, address: &str) -> String {
        let (local, domain) = address.split_once('@').unwrap();
        format!(
            "prvs={key}{day:03}{}={local}@{domain}",
            batv_hash(secret, key, day, address)
        )
    }

    #[test]
    fn valid_batv_tag_means_our_own_bounce() {
        let config = config("batv_keys = { \"1\" = \"k\" }");
        let to = tagged("k", '1', (20_005 % 1000) as u16, "joe@victim.example");
        let outer = format!("To: {to}\nSubject: failure\n\nx");
        let verdict = judge_with(
            &config,
            outer.as_bytes(),
            &bounce(Kind::Bounce, None),
            &HashSet::new(),
        );
        assert_eq!(
            verdict.verdict,
            VerdictKind::OwnBounce,
            "{:?}",
            verdict.reasons
        );
        assert_eq!(verdict.bounced_to, vec!["joe@victim.example"]);
    }

    #[test]
    fn wrong_or_expired_batv_tag_or_bare_address_is_backscatter() {
        let config = config("batv_keys = { \"1\" = \"k\" }");
        let wrong = tagged("other", '1', 5, "joe@victim.example");
        let expired = tagged("k", '1', (19_990 % 1000) as u16, "joe@victim.example");
        for to in [wrong.as_str(), expired.as_str(), "joe@victim.example"] {
            let outer = format!("To: {to}\n\nx");
            let verdict = judge_with(
                &config,
                outer.as_bytes(),
                &bounce(Kind::Bounce, None),
                &HashSet::new(),
            );
            assert_eq!(
                verdict.verdict,
                VerdictKind::Backscatter,
                "{to}: {:?}",
                verdict.reasons
            );
        }
    }

    #[test]
    fn srs_address_is_decoded_to_ours() {
        assert_eq!(
            decode_srs("SRS0=HHH=TT=victim.example=joe@forwarder.example").as_deref(),
            Some("joe@victim.example")
        );
        assert_eq!(
            decode_srs("SRS1=HHH=fwd.example==HHH=TT=victim.example=joe@second.example").as_deref(),
            Some("joe@victim.example")
        );
        assert_eq!(decode_srs("joe@victim.example"), None);
    }

    #[test]
    fn original_through_our_relay_is_ours_and_otherwise_forged() {
        let config = config("own_relays = [\"192.0.2.0/24\"]");
        let via_us = b"Received: from out.victim.example (out.victim.example [192.0.2.7]) by mx.other.example with ESMTP id 1\nFrom: joe@victim.example\n\nhi";
        let verdict = judge_with(
            &config,
            b"To: joe@victim.example\n\n",
            &bounce(Kind::Bounce, Some(via_us)),
            &HashSet::new(),
        );
        assert_eq!(
            verdict.verdict,
            VerdictKind::OwnBounce,
            "{:?}",
            verdict.reasons
        );
        let via_bot = b"Received: from bot (bot.example [198.51.100.9]) by mx.other.example with ESMTP id 1\nFrom: joe@victim.example\n\nhi";
        let verdict = judge_with(
            &config,
            b"To: joe@victim.example\n\n",
            &bounce(Kind::Bounce, Some(via_bot)),
            &HashSet::new(),
        );
        assert_eq!(
            verdict.verdict,
            VerdictKind::Backscatter,
            "{:?}",
            verdict.reasons
        );
    }

    #[test]
    fn outbound_log_and_dkim_signals() {
        let config = config("");
        let original = b"DKIM-Signature: v=1; a=rsa-sha256; d=victim.example; s=s1; b=x\nMessage-ID: <abc@victim.example>\n\nhi";
        let ids: HashSet<String> = ["abc@victim.example".to_string()].into();
        let verdict = judge_with(
            &config,
            b"To: joe@victim.example\n\n",
            &bounce(Kind::Bounce, Some(original)),
            &ids,
        );
        assert_eq!(verdict.verdict, VerdictKind::OwnBounce);
        assert_eq!(verdict.reasons.len(), 2, "{:?}", verdict.reasons);
        let other: HashSet<String> = ["zzz@victim.example".to_string()].into();
        let spam = b"Message-ID: <spam@bot.example>\n\nhi";
        let verdict = judge_with(
            &config,
            b"To: joe@victim.example\n\n",
            &bounce(Kind::Bounce, Some(spam)),
            &other,
        );
        assert_eq!(verdict.verdict, VerdictKind::Backscatter);
    }

    #[test]
    fn without_configuration_the_verdict_is_unknown_and_says_why() {
        let verdict = judge_with(
            &Config::default(),
            b"To: a@b.example\n\n",
            &bounce(Kind::Bounce, None),
            &HashSet::new(),
        );
        assert_eq!(verdict.verdict, VerdictKind::Unknown);
        assert!(
            verdict.reasons[0].contains("own_domains"),
            "{:?}",
            verdict.reasons
        );
    }

    fn origin(rdns: &str) -> Origin {
        Origin {
            ip: "198.51.100.9".into(),
            hop: 0,
            helo: Some("pc".into()),
            rdns: Some(rdns.into()),
            method: "trust_transfer".into(),
            confidence: "high".into(),
            reason: String::new(),
            documentation: true,
            rdns_may_be_forged: false,
        }
    }

    #[test]
    fn origin_outside_our_hosts_means_forged_sender() {
        let config = config("");
        let original = b"From: joe@victim.example\nMessage-ID: <x@bot>\n\nhi";
        let outer = b"To: joe@victim.example\n\n";
        let mut report = bounce(Kind::Bounce, Some(original));
        report.header = crate::bounce::headers::parse_block(outer, 0, outer.len());
        let ctx = VerdictContext {
            config: &config,
            outbound_ids: &HashSet::new(),
            arrival_day: 20_000,
        };
        let forged = judge(outer, &report, &ctx, Some(&origin("dsl-9.isp.example")));
        assert_eq!(
            forged.verdict,
            VerdictKind::Backscatter,
            "{:?}",
            forged.reasons
        );
        assert!(
            forged.reasons[0].contains("dsl-9.isp.example"),
            "{:?}",
            forged.reasons
        );
        // A reverse name of ours is not proof (the address holder writes it): unknown,
        // and the reason names the check that would settle it.
        let named = judge(outer, &report, &ctx, Some(&origin("out1.victim.example")));
        assert_eq!(named.verdict, VerdictKind::Unknown, "{:?}", named.reasons);
        assert!(
            named.reasons.iter().any(|r| r.contains("FCrDNS")),
            "{:?}",
            named.reasons
        );
        // A HELO of ours from a foreign host is the sender's claim: still backscatter.
        let mut helo = origin("dsl-9.isp.example");
        helo.helo = Some("mail.victim.example".into());
        let claimed = judge(outer, &report, &ctx, Some(&helo));
        assert_eq!(
            claimed.verdict,
            VerdictKind::Backscatter,
            "{:?}",
            claimed.reasons
        );
        let unknown = judge(outer, &report, &ctx, None);
        assert_eq!(unknown.verdict, VerdictKind::Unknown);
    }

    #[test]
    fn responses_to_our_mail_are_replies_not_direct_spam() {
        let config = config("");
        let cases: [&[u8]; 4] = [
            b"Return-Path: <>\nSubject: Auto: away\n\nback soon",
            b"Return-Path: <bot@else.example>\nAuto-Submitted: auto-replied (vacation)\n\nx",
            b"Return-Path: <a@else.example>\nIn-Reply-To: <x1@mail.victim.example>\n\nx",
            b"Return-Path: <a@else.example>\nReferences: <a@b.example>\n <x2@victim.example>\n\nx",
        ];
        for outer in cases {
            let verdict = judge_with(
                &config,
                outer,
                &bounce(Kind::NotABounce, None),
                &HashSet::new(),
            );
            assert_eq!(
                verdict.verdict,
                VerdictKind::Reply,
                "{}: {:?}",
                String::from_utf8_lossy(outer),
                verdict.reasons
            );
            assert!(verdict.reasons.len() >= 2, "{:?}", verdict.reasons);
        }
        // Auto-Submitted: no, a foreign reference and a real sender: spam received directly.
        let plain = b"Return-Path: <a@else.example>\nAuto-Submitted: no\nIn-Reply-To: <x@else.example>\n\nx";
        let verdict = judge_with(
            &config,
            plain,
            &bounce(Kind::NotABounce, None),
            &HashSet::new(),
        );
        assert_eq!(
            verdict.verdict,
            VerdictKind::Unknown,
            "{:?}",
            verdict.reasons
        );
    }
}
