//! Trust transfer: walks our own lines of the outer message to the peer that handed the
//! bounce over (`bouncer_ip`), anchors M's chain at a line the bouncer wrote (or, for spam
//! received directly, at our own MX), runs the walk of `walk.rs` on M and turns the result
//! into an `OriginReport` with reasons, clues, anomalies and corroboration.

use std::net::IpAddr;

use crate::bounce::{BounceReport, Kind};

use super::corroborate;
use super::identity;
use super::identity::{BouncerIdentity, Org, host_name, is_generic, is_unqualified, provider_of};
use super::netclass::{is_documentation, is_public};
use super::parse::{Field, header_fields_named, received_hops};
use super::walk::{ChainWalk, Mode, by_label, next_named, peer_label, same_provider, walk_chain};
use super::{Anchor, Hop, Origin, OriginReport, Role, TrustConfig, WalkedHop};

/// What M is and how it is anchored.
enum Subject<'a> {
    /// Spam received directly: M is the outer message, anchored at our own MX.
    Direct,
    /// A returned (or wrapped) copy.
    Returned(&'a [u8]),
    /// No copy.
    Absent,
}

/// A message's own Received chain walked from our side: our lines, then the peer that
/// handed the message to us.
pub(crate) struct OuterView {
    pub fields: Vec<Field>,
    pub hops: Vec<Hop>,
    pub start: usize,
    pub seed: Org,
    pub walk: ChainWalk,
}

impl OuterView {
    /// `bytes` as received by `ours` (config names, or whoever wrote the top line).
    pub(crate) fn new(bytes: &[u8], ours: &Org, cfg: &TrustConfig) -> Self {
        let fields = walk_fields(bytes);
        let hops = received_hops(&fields);
        let start = if ours.is_empty() {
            0
        } else {
            hops.iter()
                .position(|h| ours.wrote(h).is_some())
                .unwrap_or(0)
        };
        let mut seed = ours.clone();
        if let Some(h) = hops.get(start) {
            seed.learn(h);
        }
        let mode = Mode {
            traverse: false,
            own_relays: true,
            depth: 0,
        };
        let mut walk = walk_chain(&hops, start, &seed, cfg, mode);
        for (role, why) in walk.roles.iter_mut().skip(start) {
            if *role == Role::Untrusted {
                *why = "below the hand-over to us: written by the sending side, not by us".into();
            }
        }
        OuterView {
            fields,
            hops,
            start,
            seed,
            walk,
        }
    }

    /// The peer that handed the message to us.
    pub(crate) fn peer(&self) -> Option<IpAddr> {
        self.walk.origin.and_then(|i| self.hops[i].from_ip)
    }
}

pub(crate) fn run(outer: &[u8], bounce: &BounceReport, cfg: &TrustConfig) -> OriginReport {
    let ours = our_org(cfg);
    let view = OuterView::new(outer, &ours, cfg);
    let is_report = bounce.kind != Kind::NotABounce;
    let subject = match (&bounce.original, is_report) {
        (Some(o), _) => Subject::Returned(&o.bytes),
        (None, false) => Subject::Direct,
        (None, true) => Subject::Absent,
    };
    let mut report = OriginReport::default();
    if is_report {
        report.bouncer_ip = view.peer().map(|ip| ip.to_string());
    }
    match subject {
        Subject::Direct => direct(&mut report, &view, cfg),
        Subject::Returned(m) => {
            let (strong, weak) = identity::bouncer_orgs(outer, bounce, &view, &ours, cfg);
            let ident = BouncerIdentity::from_orgs(view.peer(), &strong, &weak);
            let mut excluded = ours.clone();
            excluded.merge(&view.walk.org);
            returned(
                &mut report,
                m,
                ident,
                (&strong, &weak),
                bounce.kind,
                view.peer(),
                &excluded,
                cfg,
            );
            if let Some(c) = corroborate::received_from_mta(outer, &report) {
                report.corroboration.push(c);
            }
        }
        Subject::Absent => {
            report.no_origin_reason = Some(if bounce.kind == Kind::Autoreply {
                "an auto-reply without a copy of the original: the hand-over is not recorded".into()
            } else {
                "the report carries no copy of the original message".into()
            });
        }
    }
    // Last, so that the view's hops move into the report instead of being copied.
    report.outer_hops = into_walked(view.hops, view.walk);
    report
}

/// The header fields the walk reads: Received lines, the hint headers that corroborate
/// them, and a nested report's `Reporting-MTA` and `From`.
fn walk_fields(bytes: &[u8]) -> Vec<Field> {
    header_fields_named(bytes, |name| {
        ["received", "reporting-mta", "from"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
            || corroborate::is_hint(name)
    })
}

fn our_org(cfg: &TrustConfig) -> Org {
    let mut org = Org::default();
    for n in cfg.own_domains.iter().chain(cfg.own_mx.iter()) {
        org.add_name(n);
    }
    org
}

/// [`walked`] for hops and a walk no longer needed: moved, not copied.
fn into_walked(hops: Vec<Hop>, w: ChainWalk) -> Vec<WalkedHop> {
    hops.into_iter()
        .zip(w.roles)
        .map(|(hop, (role, why))| WalkedHop { hop, role, why })
        .collect()
}

fn walked(hops: &[Hop], w: &ChainWalk) -> Vec<WalkedHop> {
    hops.iter()
        .zip(w.roles.iter())
        .map(|(h, (role, why))| WalkedHop {
            hop: h.clone(),
            role: *role,
            why: why.clone(),
        })
        .collect()
}

fn direct(report: &mut OriginReport, view: &OuterView, cfg: &TrustConfig) {
    let hops = &view.hops;
    if hops.is_empty() {
        report.no_origin_reason =
            Some("the message has no Received header: the hand-over is not recorded".into());
        return;
    }
    let mode = Mode {
        traverse: true,
        own_relays: true,
        depth: 0,
    };
    let w = walk_chain(hops, view.start, &view.seed, cfg, mode);
    report.hops = walked(hops, &w);
    let anchor_by = by_label(&hops[view.start]);
    report.anchor = Some(Anchor {
        hop: view.start,
        matched: format!("it is the topmost line, written by our own mail system ({anchor_by})"),
        strong: true,
    });
    finish(report, &view.fields, hops, &w, "direct", true);
}

#[allow(clippy::too_many_arguments)]
fn returned(
    report: &mut OriginReport,
    m: &[u8],
    ident: BouncerIdentity,
    (strong, weak): (&Org, &Org),
    kind: Kind,
    handed_over_by: Option<IpAddr>,
    ours: &Org,
    cfg: &TrustConfig,
) {
    let fields = walk_fields(m);
    let hops = received_hops(&fields);
    report.bouncer = Some(ident);
    let wrapper_boundary = (kind == Kind::NotABounce)
        .then(|| handed_over_by.map(|i| i.to_string()))
        .flatten();
    if hops.is_empty() {
        report.no_origin_reason = Some("the returned copy has no Received header: the hand-over into the bouncer is not recorded".into());
        return;
    }
    let Some(anchor) = anchor(&hops, strong, weak) else {
        unanchored(report, &hops, ours);
        return;
    };
    // Report texts (Reporting-MTA, daemon sender) only stand in when the Received evidence
    // did not anchor the walk: a template's stale wording must not widen the organisation.
    let mut org = strong.clone();
    if !anchor.strong {
        org.merge(weak);
    }
    let mode = Mode {
        traverse: true,
        own_relays: false,
        depth: 0,
    };
    let w = walk_chain(&hops, 0, &org, cfg, mode);
    let strong_anchor = anchor.strong;
    report.anchor = Some(anchor);
    finish(report, &fields, &hops, &w, "trust_transfer", strong_anchor);
    if wrapper_boundary.is_some() {
        report.boundary_ip = wrapper_boundary;
    }
    forged_claims(report, &hops, &w, ours);
    report.hops = into_walked(hops, w);
}

fn unanchored(report: &mut OriginReport, hops: &[Hop], ours: &Org) {
    let why = "not anchored: no line of the returned copy is known to be the bouncer's";
    let w = ChainWalk {
        roles: vec![(Role::Untrusted, why.into()); hops.len()],
        boundary: None,
        origin: None,
        forwarders: Vec::new(),
        end_reason: None,
        unconfirmed: None,
        org: Org::default(),
    };
    report.hops = walked(hops, &w);
    report.untrusted_hops = public_ips(hops, 0);
    let top = hops.iter().find(|h| !is_neutral(h)).unwrap_or(&hops[0]);
    report.no_origin_reason = Some(format!(
        "the returned copy carries no Received line written by the bouncer: its topmost line was written by {}, which is not one of the bouncer's hosts, so the hand-over into the bouncer is not recorded",
        by_label(top)
    ));
    report
        .anomalies
        .extend(corroborate::chain_anomalies(hops, None));
    for h in hops {
        if let Some(by) = h.by_host.as_deref().filter(|b| ours.owns_name(b).is_some()) {
            report.anomalies.push(format!(
                "hop {} claims to be received by our own host {by}, in a copy no line of the bouncer vouches for: forged",
                h.index
            ));
        }
    }
}

/// A line that says nothing about who wrote it: no public peer and no qualified receiving
/// host (qmail's `invoked` lines, Google's `by 2002:…` hops, `by localhost` filter loops).
fn is_neutral(h: &Hop) -> bool {
    let no_public_peer = h.from_ip.is_none_or(|ip| !is_public(ip));
    let unnamed_receiver = h
        .by_host
        .as_deref()
        .and_then(host_name)
        .is_none_or(|b| is_unqualified(&b));
    no_public_peer && unnamed_receiver
}

/// Rule 1: the topmost line that names its writer must be the bouncer's.
fn anchor(hops: &[Hop], strong: &Org, weak: &Org) -> Option<Anchor> {
    let Some(i) = hops.iter().position(|h| !is_neutral(h)) else {
        // No line names its writer and none records a public peer: the walk can only end
        // without an origin, and says so.
        return Some(Anchor {
            hop: 0,
            matched: "no line names its writer or records a public peer".into(),
            strong: false,
        });
    };
    let top = &hops[i];
    if let Some(why) = strong.wrote(top) {
        return Some(Anchor {
            hop: i,
            matched: format!("{why} (seen on the bounce's own Received lines)"),
            strong: true,
        });
    }
    // When the bounce's own Received lines name the bouncer and do not match, the report
    // text may still anchor by host or domain, but not by mere membership of a provider.
    let mut weak = weak.clone();
    if !strong.is_empty() {
        weak.providers.clear();
    }
    weak.wrote(top).map(|why| Anchor {
        hop: i,
        matched: format!("{why} (named by the report's Reporting-MTA or sender)"),
        strong: false,
    })
}

fn public_ips(hops: &[Hop], from: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let none = Org::default();
    for (i, h) in hops.iter().enumerate().skip(from) {
        let Some(ip) = h.from_ip.filter(|ip| is_public(*ip)) else {
            continue;
        };
        // A line without a receiver records no hand-over; a provider's own internal hops
        // are not clues about the sender.
        if h.by_host.is_none() && h.by_ip.is_none() {
            continue;
        }
        if same_provider(h, next_named(hops, i), &none).is_some() {
            continue;
        }
        let s = ip.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Fills origin, boundary, untrusted hops, anomalies and corroboration from a walk of M.
fn finish(
    report: &mut OriginReport,
    fields: &[Field],
    hops: &[Hop],
    w: &ChainWalk,
    method: &str,
    strong: bool,
) {
    report.boundary_ip = w
        .boundary
        .and_then(|i| hops[i].from_ip)
        .map(|ip| ip.to_string());
    report
        .anomalies
        .extend(corroborate::chain_anomalies(hops, w.origin));
    report.needs_fcrdns.extend(w.unconfirmed.clone());
    match w.origin {
        Some(o) => {
            let hop = &hops[o];
            let ip = hop.from_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
            report.untrusted_hops = public_ips(hops, o + 1);
            let method = if w.forwarders.is_empty() {
                method.to_string()
            } else {
                "forwarder".to_string()
            };
            // A walk anchored only by the report's text (Reporting-MTA, daemon sender), not by
            // the bounce's own Received lines, rests on words whoever wrote the report chose:
            // no chain of recorded addresses ties its lines to the bouncer.
            let mut confidence = match (strong, w.forwarders.is_empty()) {
                (false, _) => "low",
                (true, true) => "high",
                (true, false) => "medium",
            };
            let mut reason_notes: Vec<String> = Vec::new();
            let corr = corroborate::collect(fields, hops, Some(o), &w.roles);
            if corr
                .iter()
                .any(|c| c.trusted && c.agrees == Some(false) && c.conflict)
            {
                confidence = "low";
            } else if confidence == "medium"
                && corr.iter().any(|c| c.trusted && c.agrees == Some(true))
            {
                confidence = "high";
            }
            if !strong {
                reason_notes.push("Low confidence: the returned copy is tied to the bouncer only by the report's own text (Reporting-MTA or sender), not by the bounce's Received lines.".to_string());
            }
            for c in corr.iter().filter(|c| c.trusted && c.conflict) {
                report.anomalies.push(format!(
                    "{} (written by a trusted hop) names {}, not the origin {ip}",
                    c.header,
                    c.ip.as_deref().unwrap_or("?")
                ));
            }
            report.corroboration = corr;
            let mut reason = origin_reason(hops, o, w);
            for note in reason_notes {
                reason.push(' ');
                reason.push_str(&note);
            }
            if let Some(check) = &w.unconfirmed {
                // The walk reached this hop only by taking a peer's name on trust: if the
                // name is false, that peer is the sender and this line its forgery.
                confidence = "low";
                reason.push_str(&format!(
                    " Low confidence: the walk went past {} [{}] only because of that name, which is not confirmed forward (FCrDNS); if it is false, {} is the sender and the lines below it are its own (where that address is one of ours, listing it in trusted_networks settles it too).",
                    check.name, check.ip, check.ip
                ));
            }
            report.origin = Some(Origin {
                ip: ip.to_string(),
                hop: o,
                helo: hop.from_helo.clone(),
                rdns: hop.from_rdns.clone(),
                method,
                confidence: confidence.to_string(),
                reason,
                documentation: is_documentation(ip),
                rdns_may_be_forged: hop.may_be_forged,
            });
        }
        None => {
            let end = w.roles.iter().position(|(r, _)| *r == Role::End);
            report.untrusted_hops = end.map(|e| public_ips(hops, e + 1)).unwrap_or_default();
            report.corroboration = corroborate::collect(fields, hops, None, &w.roles);
            report.no_origin_reason = Some(match &w.end_reason {
                Some(r) if end.is_some() => format!(
                    "the walk ended without a public hand-over: {r}; the client address is not recorded"
                ),
                Some(r) => r.clone(),
                None => "no public hand-over is recorded".into(),
            });
        }
    }
}

fn origin_reason(hops: &[Hop], o: usize, w: &ChainWalk) -> String {
    let hop = &hops[o];
    let mut s = format!(
        "{} recorded that it received the message from {}",
        by_label(hop),
        peer_label(hop)
    );
    if let Some(h) = &hop.from_helo
        && hop.from_rdns.is_some()
    {
        s.push_str(&format!(" (HELO {h})"));
    }
    if let Some(&f) = w.forwarders.first() {
        let name = hops[f]
            .from_rdns
            .as_deref()
            .or(hops[f].from_helo.as_deref())
            .unwrap_or("the provider");
        let ip = hops[f].from_ip.map(|i| i.to_string()).unwrap_or_default();
        s.push_str(&format!(
            "; {name} [{ip}] had received it there as inbound MX for the recipient and handed it on to {}",
            by_label(&hops[f])
        ));
    }
    s.push('.');
    s
}

/// Lines below the origin that claim to be written by our own hosts or by the organisation.
fn forged_claims(report: &mut OriginReport, hops: &[Hop], w: &ChainWalk, ours: &Org) {
    let Some(o) = w.origin else { return };
    for h in hops.iter().skip(o + 1) {
        if let Some(by) = &h.by_host {
            if ours.owns_name(by).is_some() {
                report.anomalies.push(format!(
                    "hop {} below the origin claims to be received by our own host {by}: forged",
                    h.index
                ));
            } else if !is_generic(by) && w.org.owns_name(by).is_some() && provider_of(by).is_none()
            {
                report.anomalies.push(format!("hop {} below the origin claims to be received by the bouncer's host {by}: forged-looking", h.index));
            }
        }
    }
}
