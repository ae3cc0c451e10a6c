//! The trust walk over one Received chain (rules 2-7 and 10 of the corpus README): skip
//! the receiving organisation's internal hops, take the first external peer as the
//! boundary, traverse providers and hosted filters that received the message as inbound MX,
//! stop at the origin or at a submission that recorded no client address.

use std::net::IpAddr;

use super::identity::{
    Org, first_label, host_name, is_generic, is_unqualified, provider_has_nets, provider_of,
    provider_of_ip, registrable,
};
use super::netclass::{classify, is_public};
use super::{Hop, NameCheck, Role, TrustConfig};

/// How deep forwarders may be nested (rule 6 inside rule 6).
const MAX_FORWARDER_DEPTH: usize = 4;

/// What one hop means for the walk.
enum Step {
    Internal(String),
    /// Internal only because the site declared it trusted (rule 10): the undeclared walk
    /// would have stopped here, so it is still the boundary.
    /// `name` when the declaration matched the peer's reverse name, not its address: the
    /// walk goes on, but what it finds rests on that name.
    Declared {
        why: String,
        name: Option<String>,
    },
    External(String),
    End(String),
    /// Inside the organisation only if the peer's recorded name is true: a name the peer
    /// controls (its reverse DNS) is not proof. The walk goes on as if it were, and what
    /// it finds below rests on that name.
    Unconfirmed {
        why: String,
        name: String,
    },
}

/// The outcome of walking one chain.
#[derive(Debug, Clone)]
pub(crate) struct ChainWalk {
    pub roles: Vec<(Role, String)>,
    pub boundary: Option<usize>,
    pub origin: Option<usize>,
    pub forwarders: Vec<usize>,
    pub end_reason: Option<String>,
    /// The first peer taken as inside the organisation (or as a provider acting for it) on
    /// its name alone: the name and address a forward-confirmed reverse lookup (FCrDNS)
    /// would settle. Whatever the walk found below it is low confidence.
    pub unconfirmed: Option<NameCheck>,
    /// The organisation as learnt along the walk (its hosts, addresses).
    pub org: Org,
}

/// Options of one walk.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// Apply rule 6 (forwarder traversal).
    pub traverse: bool,
    /// Apply `own_relays` (the outer message only).
    pub own_relays: bool,
    pub depth: usize,
}

/// Walks `hops` from `start` with `org` as the receiving organisation.
pub(crate) fn walk_chain(
    hops: &[Hop],
    start: usize,
    org: &Org,
    cfg: &TrustConfig,
    mode: Mode,
) -> ChainWalk {
    let mut org = org.clone();
    let mut w = ChainWalk {
        roles: vec![(Role::Untrusted, "above the anchor".to_string()); hops.len()],
        boundary: None,
        origin: None,
        forwarders: Vec::new(),
        end_reason: None,
        unconfirmed: None,
        org: Org::default(),
    };
    for r in w.roles.iter_mut().skip(start) {
        *r = (
            Role::Untrusted,
            "below the origin: written by machines the sender may control".into(),
        );
    }
    let mut i = start;
    while i < hops.len() {
        let hop = &hops[i];
        org.learn(hop);
        match step(hops, i, &org, cfg, mode) {
            Step::Internal(why) => {
                learn_peer(&mut org, hop);
                w.roles[i] = (Role::Internal, why);
            }
            Step::Declared { why, name } => {
                w.boundary.get_or_insert(i);
                if let (Some(name), Some(ip), None) = (name, hop.from_ip, &w.unconfirmed) {
                    w.unconfirmed = Some(NameCheck {
                        name,
                        ip: ip.to_string(),
                    });
                }
                learn_peer(&mut org, hop);
                w.roles[i] = (Role::Internal, why);
            }
            Step::End(why) => {
                w.roles[i] = (Role::End, why.clone());
                w.end_reason = Some(why);
                break;
            }
            Step::Unconfirmed { why, name } => {
                // Taken as internal for the walk's answer, which then rests on that name:
                // the origin it reaches is low confidence until the name is confirmed.
                learn_peer(&mut org, hop);
                w.roles[i] = (Role::Unconfirmed, why);
                if w.unconfirmed.is_none() {
                    w.unconfirmed = hop.from_ip.map(|ip| NameCheck {
                        name,
                        ip: ip.to_string(),
                    });
                }
            }
            Step::External(why) => {
                w.boundary.get_or_insert(i);
                let fwd = (mode.traverse && mode.depth < MAX_FORWARDER_DEPTH)
                    .then(|| forwarder(hops, i, cfg, mode))
                    .flatten();
                if let Some((sub, p, proof)) = fwd {
                    let why = match proof {
                        Proof::Address => why,
                        Proof::Name(name) => {
                            let ip = hop.from_ip.map(|ip| ip.to_string()).unwrap_or_default();
                            w.unconfirmed.get_or_insert(NameCheck {
                                name: name.clone(),
                                ip: ip.clone(),
                            });
                            format!(
                                "{why}; that it is {p} rests only on its name {name}, not on its address {ip} (not confirmed forward)"
                            )
                        }
                    };
                    w.roles[i] = (
                        Role::Forwarder,
                        format!(
                            "{why}; {p} received the message as inbound MX (its own line below records an unauthenticated hand-over), so it acted for the recipient and is traversed (rule 6)"
                        ),
                    );
                    w.forwarders.push(i);
                    w.forwarders.extend(sub.forwarders.iter().copied());
                    for (j, r) in sub.roles.iter().enumerate().skip(i + 1) {
                        w.roles[j] = r.clone();
                    }
                    w.origin = sub.origin;
                    w.end_reason = sub.end_reason;
                    if w.unconfirmed.is_none() {
                        w.unconfirmed = sub.unconfirmed;
                    }
                    break;
                }
                w.roles[i] = (Role::Origin, why);
                w.origin = Some(i);
                break;
            }
        }
        i += 1;
    }
    if i >= hops.len() && w.origin.is_none() && w.end_reason.is_none() {
        w.end_reason = Some(if start >= hops.len() {
            "no Received line to walk".to_string()
        } else {
            "every recorded hop is inside the receiving organisation; no public hand-over is recorded".to_string()
        });
    }
    w.org = org;
    w
}

/// The peer of an internal hop is a host of the organisation.
fn learn_peer(org: &mut Org, hop: &Hop) {
    if let Some(r) = &hop.from_rdns
        && !is_generic(r)
    {
        org.add_name(r);
    }
    if let Some(ip) = hop.from_ip
        && is_public(ip)
    {
        org.add_ip(ip);
    }
}

pub(crate) fn peer_label(hop: &Hop) -> String {
    let ip = hop.from_ip.map(|i| i.to_string()).unwrap_or_default();
    match (&hop.from_rdns, &hop.from_helo) {
        (Some(r), _) => format!("{r} [{ip}]"),
        (None, Some(h)) => format!("[{ip}] (HELO {h})"),
        _ => format!("[{ip}]"),
    }
}

pub(crate) fn by_label(hop: &Hop) -> String {
    hop.by_host
        .clone()
        .unwrap_or_else(|| "an unnamed host".to_string())
}

fn step(hops: &[Hop], i: usize, org: &Org, cfg: &TrustConfig, mode: Mode) -> Step {
    let hop = &hops[i];
    match hop.from_ip {
        Some(ip) => step_with_peer(hops, i, ip, org, cfg, mode),
        None => step_without_peer(hop, next_named(hops, i), org),
    }
}

/// The next line down that names its receiving host (qmail's `invoked` lines name none).
pub(crate) fn next_named(hops: &[Hop], i: usize) -> Option<&Hop> {
    hops.iter()
        .skip(i + 1)
        .find(|h| h.by_host.is_some() || h.by_ip.is_some())
}

fn step_with_peer(
    hops: &[Hop],
    i: usize,
    ip: IpAddr,
    org: &Org,
    cfg: &TrustConfig,
    mode: Mode,
) -> Step {
    let hop = &hops[i];
    let next = next_named(hops, i);
    let by = by_label(hop);
    if hop
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("mapi"))
    {
        return Step::End(format!("{by} recorded a MAPI submission by a mail client"));
    }
    if !is_public(ip) {
        return Step::Internal(
            format!(
                "peer {ip} is {:?} (not public): an internal hop on {by}",
                classify(ip)
            )
            .to_lowercase(),
        );
    }
    if is_retrieval(hop) {
        return Step::Internal(format!(
            "{by} fetched the message from its mailbox at {} (IMAP/POP3 retrieval by the recipient)",
            peer_label(hop)
        ));
    }
    if cfg.trusted_networks.iter().any(|n| n.contains(ip))
        || (mode.own_relays && cfg.own_relays.iter().any(|n| n.contains(ip)))
    {
        return Step::Declared {
            why: format!("peer {ip} is inside a network declared trusted"),
            name: None,
        };
    }
    if let Some(name) = trusted_host(hop, cfg) {
        return Step::Declared {
            why: format!(
                "peer {name} is a host declared trusted (by its reverse name, not confirmed forward)"
            ),
            name: Some(name),
        };
    }
    if hop.by_ip == Some(ip) {
        return Step::Internal(format!("peer {ip} is {by} itself"));
    }
    if org.ips.contains(&ip) {
        return Step::Internal(format!(
            "peer {ip} is an address of the receiving organisation's own hosts"
        ));
    }
    if let Some(p) = same_provider_by_address(hop, next, org) {
        return Step::Internal(format!(
            "peer {} and {by} both belong to {p} (by the peer's address)",
            peer_label(hop)
        ));
    }
    // What follows rests on the name the receiver recorded for its peer: the peer's own
    // reverse DNS, which whoever holds the address writes. It never makes the peer part of
    // the organisation: the walk goes on as if it did (a relay of the organisation with a
    // public address looks just like this), but nothing it finds below is more than low
    // confidence. A name marked "may be forged" is no better and no worse: if the peer is
    // not the organisation's, it is the sender, and either answer may accuse the innocent.
    if let Some((claim, name)) = name_claim(hop, next, org) {
        let marked = if hop.may_be_forged {
            format!(" (and {by} marked it \"may be forged\": it failed its forward check)")
        } else {
            String::new()
        };
        return Step::Unconfirmed {
            why: format!(
                "{claim} only by the name {by} recorded for it{marked}, not by its address: taken as internal, but until {name} is confirmed to resolve to {ip} (FCrDNS) the origin below rests on that name (low confidence)"
            ),
            name,
        };
    }
    Step::External(format!(
        "{by} recorded the hand-over from {}",
        peer_label(hop)
    ))
}

fn trusted_host(hop: &Hop, cfg: &TrustConfig) -> Option<String> {
    if cfg.trusted_hosts.is_empty() {
        return None;
    }
    // The reverse name only: a HELO is whatever the peer chose to say.
    let name = host_name(hop.from_rdns.as_deref()?)?;
    cfg.trusted_hosts.iter().find_map(|t| {
        let t = t.trim_start_matches('.').to_ascii_lowercase();
        crate::hostname::in_domain(&name, &t).then(|| name.to_string())
    })
}

/// Did the peer of `hop` write `next` (its `by` names the peer's name or address)?
fn peer_wrote(hop: &Hop, next: Option<&Hop>) -> bool {
    let Some(next) = next else { return false };
    if next.by_ip.is_some() && next.by_ip == hop.from_ip {
        return true;
    }
    let Some(nb) = next.by_host.as_deref().and_then(host_name) else {
        return false;
    };
    [hop.from_rdns.as_deref(), hop.from_helo.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(host_name)
        .any(|n| {
            n == nb || (first_label(&n) == first_label(&nb) && registrable(&n) == registrable(&nb))
        })
}

/// The provider the peer belongs to: by rDNS, by address ownership, or by its HELO name
/// where the receiver records no rDNS at all (Microsoft's `from HELO (ip)`) and the peer also
/// wrote the next line down or that line is the same provider's.
fn peer_provider(hop: &Hop, next: Option<&Hop>) -> Option<&'static str> {
    peer_named_provider(hop, next).or_else(|| hop.from_ip.and_then(provider_of_ip))
}

fn peer_named_provider(hop: &Hop, next: Option<&Hop>) -> Option<&'static str> {
    if let Some(p) = hop.from_rdns.as_deref().and_then(provider_of) {
        return Some(p);
    }
    if hop.records_rdns {
        return None;
    }
    let p = hop.from_helo.as_deref().and_then(provider_of)?;
    // A provider whose addresses are known must be connecting from one of them.
    if let Some(ip) = hop.from_ip.filter(|ip| is_public(*ip))
        && provider_has_nets(p)
        && provider_of_ip(ip) != Some(p)
    {
        return None;
    }
    let next_by = next
        .and_then(|n| n.by_host.as_deref())
        .and_then(provider_of);
    (peer_wrote(hop, next) || next_by == Some(p)).then_some(p)
}

/// The provider of the receiving host, by its name or address.
fn receiver_provider(hop: &Hop) -> Option<&'static str> {
    hop.by_host
        .as_deref()
        .and_then(provider_of)
        .or_else(|| hop.by_ip.and_then(provider_of_ip))
}

/// The organisation is one provider (by the addresses and names it showed) and wrote this
/// line, or the line names no receiving host.
fn org_provider(hop: &Hop, org: &Org) -> Option<&'static str> {
    let by_is_name = hop.by_host.as_deref().and_then(host_name).is_some();
    let wrote = !by_is_name || org.wrote(hop).is_some();
    (wrote && org.providers.len() == 1)
        .then(|| org.providers.iter().next().copied())
        .flatten()
}

/// Rule 3, third case: peer and receiver belong to one large provider, proven by the
/// peer's address (the provider's known ranges).
pub(crate) fn same_provider_by_address(
    hop: &Hop,
    next: Option<&Hop>,
    org: &Org,
) -> Option<&'static str> {
    let p = hop.from_ip.and_then(provider_of_ip)?;
    if receiver_provider(hop) == Some(p) {
        return Some(p);
    }
    // A peer known only by its address, inside an organisation that is that provider (a
    // provider's internal hops written with bare addresses and anonymised host names).
    let claims_a_provider = [hop.from_rdns.as_deref(), hop.from_helo.as_deref()]
        .into_iter()
        .flatten()
        .any(|n| provider_of(n).is_some());
    if peer_named_provider(hop, next).is_none()
        && !claims_a_provider
        && org_provider(hop, org) == Some(p)
    {
        return Some(p);
    }
    // The peer's address is the provider's and it names itself under the receiver's domain.
    let helo_domain = hop.from_helo.as_deref().and_then(registrable);
    let by_domain = hop.by_host.as_deref().and_then(registrable);
    (helo_domain.is_some() && helo_domain == by_domain).then_some(p)
}

/// Rule 3 by names or by addresses (what a clue list may skip: a provider's own hops are no
/// clue about the sender, whichever way they show it).
pub(crate) fn same_provider(hop: &Hop, next: Option<&Hop>, org: &Org) -> Option<&'static str> {
    same_provider_by_address(hop, next, org).or_else(|| {
        let p = peer_named_provider(hop, next)?;
        (receiver_provider(hop) == Some(p)).then_some(p)
    })
}

/// What the peer's recorded names say about its membership of the organisation, and the
/// name that would have to be confirmed forward: the receiving host itself, a host of the
/// same provider, or a relay of the organisation's domain that wrote the next line down.
fn name_claim(hop: &Hop, next: Option<&Hop>, org: &Org) -> Option<(String, String)> {
    if let (Some(r), Some(b)) = (&hop.from_rdns, &hop.by_host)
        && (r.eq_ignore_ascii_case(b)
            || (!is_generic(b)
                && b.contains('.')
                && first_label(r) == first_label(b)
                && registrable(r) == registrable(b)))
    {
        return Some((
            format!("peer {r} would be the receiving host {b} itself"),
            r.clone(),
        ));
    }
    if let Some(p) = peer_named_provider(hop, next)
        && receiver_provider(hop) == Some(p)
    {
        let name = hop.from_rdns.clone().or_else(|| hop.from_helo.clone())?;
        return Some((
            format!("peer {name} and {} would both belong to {p}", by_label(hop)),
            name,
        ));
    }
    let why = same_domain_relay(hop, next, org)?;
    Some((why, hop.from_rdns.clone()?))
}

/// Rule 3, fourth case: the peer's rDNS is under the receiving host's registrable domain and
/// the peer wrote the next line down.
fn same_domain_relay(hop: &Hop, next: Option<&Hop>, org: &Org) -> Option<String> {
    let r = hop.from_rdns.as_deref()?;
    let rd = registrable(r)?;
    let same = hop.by_host.as_deref().and_then(registrable).as_deref() == Some(rd.as_str())
        || org.domains.contains(&rd);
    let next_by_org = next
        .and_then(|n| n.by_host.as_deref())
        .and_then(registrable)
        .is_some_and(|d| d == rd);
    (same && !is_generic(r) && (peer_wrote(hop, next) || next_by_org)).then(|| {
        format!("peer {r} would be a relay of the organisation ({rd}), the next line down being written inside it,")
    })
}

fn step_without_peer(hop: &Hop, next: Option<&Hop>, org: &Org) -> Step {
    let raw = hop.raw.to_ascii_lowercase();
    let by = by_label(hop);
    let proto = hop.protocol.as_deref().unwrap_or("").to_ascii_lowercase();
    let via = hop.via.as_deref().unwrap_or("").to_ascii_lowercase();
    if raw.contains("invoked by")
        || raw.contains("invoked for")
        || raw.contains("invoked from network")
    {
        return Step::Internal("qmail's own hand-over line (no peer)".into());
    }
    if is_retrieval(hop) {
        return Step::Internal(format!("retrieval by the recipient on {by} (IMAP/POP3)"));
    }
    if let (Some(b), Some(nb)) = (
        hop.by_host.as_deref(),
        next.and_then(|n| n.by_host.as_deref()),
    ) && (b.eq_ignore_ascii_case(nb)
        || (!is_unqualified(b)
            && first_label(b) == first_label(nb)
            && registrable(b) == registrable(nb)))
    {
        return Step::Internal(format!(
            "local re-injection on {b}, above a line received by the same host"
        ));
    }
    if proto.starts_with("http")
        || via.starts_with("http")
        || proto.contains("mapi")
        || proto == "local"
        || raw.contains("from userid")
        || proto.contains("webmail")
    {
        return Step::End(format!(
            "{by} recorded a submission (web, MAPI, API or local) without a client address"
        ));
    }
    let from = hop.from_rdns.as_deref().or(hop.from_helo.as_deref());
    let Some(from) = from.filter(|f| !f.is_empty()) else {
        return Step::Internal(format!("no sending host: a local hand-over on {by}"));
    };
    if proto.contains("spam-scanned") || is_generic(from) {
        return Step::Internal(format!("local re-injection from {from} on {by}"));
    }
    let same_host = hop
        .by_host
        .as_deref()
        .is_some_and(|b| b.eq_ignore_ascii_case(from) || first_label(b) == first_label(from));
    let same_domain = registrable(from).is_some_and(|d| {
        hop.by_host.as_deref().and_then(registrable).as_deref() == Some(d.as_str())
            || org.domains.contains(&d)
    });
    if same_host || same_domain {
        return Step::Internal(format!(
            "{from} hands over to {by} inside one organisation (no address recorded)"
        ));
    }
    Step::End(format!(
        "{by} recorded a hand-over from {from} without an address"
    ))
}

/// How a forwarder's identity is known.
enum Proof {
    /// Its address is in the provider's known ranges.
    Address,
    /// Only the name recorded for it says so (its reverse DNS or, where none is recorded,
    /// its HELO): not proof.
    Name(String),
}

/// Rule 6: the external peer at `i` is a provider or hosted filter whose own line below shows
/// it received the message as inbound MX. Returns the walk inside it and how the provider
/// is known.
fn forwarder(
    hops: &[Hop],
    i: usize,
    cfg: &TrustConfig,
    mode: Mode,
) -> Option<(ChainWalk, &'static str, Proof)> {
    let hop = &hops[i];
    let next = hops.get(i + 1)?;
    let p = peer_provider(hop, Some(next))?;
    if next.by_host.as_deref().and_then(provider_of) != Some(p) {
        return None;
    }
    let proof = if hop.from_ip.and_then(provider_of_ip) == Some(p) {
        Proof::Address
    } else {
        Proof::Name(hop.from_rdns.clone().or_else(|| hop.from_helo.clone())?)
    };
    let mut porg = Org::default();
    porg.providers.insert(p);
    let sub_mode = Mode {
        depth: mode.depth + 1,
        ..mode
    };
    let sub = walk_chain(hops, i + 1, &porg, cfg, sub_mode);
    let o = &hops[sub.origin?];
    if o.authenticated || is_submission(o) {
        return None;
    }
    Some((sub, p, proof))
}

/// `with IMAP`/`POP3` (fetchmail and friends): the recipient collected its own mail.
fn is_retrieval(hop: &Hop) -> bool {
    let proto = hop.protocol.as_deref().unwrap_or("").to_ascii_lowercase();
    proto.starts_with("imap")
        || proto.starts_with("pop3")
        || hop.raw.to_ascii_lowercase().contains("(fetchmail")
}

fn is_submission(hop: &Hop) -> bool {
    let proto = hop.protocol.as_deref().unwrap_or("").to_ascii_lowercase();
    proto.starts_with("http")
        || proto.contains("mapi")
        || hop
            .via
            .as_deref()
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("http"))
}
