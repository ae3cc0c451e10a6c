//! Received stage (pure): parses the Received chains of the bounce and of M into hops,
//! finds the bouncer's address on the outer message and carries trust from our own MX
//! through the bouncer into M, to the origin IP (DESIGN.md, "Originating IP"; the rules
//! are in `shared/corpus/README.md`, "Originating IP: the trust walk").
//!
//! - `parse`: header block → fields → `Hop` per Received line;
//! - `netclass`: public / private / documentation address classes;
//! - `identity`: who the bouncing organisation is, and the large providers;
//! - `walk`: the trust walk over one chain (internal hops, boundary, forwarders, origin);
//! - `transfer`: bouncer_ip on the outer message, the anchor in M, the report;
//! - `corroborate`: Authentication-Results, Received-SPF, X-Originating-IP and friends;
//! - `explain`: the walk in plain words, hop by hop.

use std::net::IpAddr;

use serde::Serialize;

use crate::bounce::BounceReport;

mod corroborate;
mod explain;
mod identity;
pub mod netclass;
pub mod parse;
mod transfer;
mod walk;

pub use corroborate::Corroboration;
pub use explain::{explain, explain_to_string};
pub use identity::BouncerIdentity;
pub use netclass::{IpClass, classify, is_documentation, is_public};
pub use parse::{Field, header_fields, parse_received, received_hops};

/// One Received header, as parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hop {
    /// Position in its chain (0 = topmost, newest).
    pub index: usize,
    /// The HELO/EHLO argument as the receiver wrote it (never used as the address).
    pub from_helo: Option<String>,
    /// The peer's reverse-DNS name as the receiver recorded it.
    pub from_rdns: Option<String>,
    /// The TCP peer's address as the receiver recorded it (IPv4-mapped written as IPv4).
    pub from_ip: Option<IpAddr>,
    /// The receiving host's name (`by` clause).
    pub by_host: Option<String>,
    /// The receiving host's own address, when the `by` clause gives one.
    pub by_ip: Option<IpAddr>,
    /// The first comment of the `by` clause (`(Postfix)`, `(8.14.4/8.14.4)`, ...).
    #[serde(skip)]
    pub by_note: Option<String>,
    /// The `with` clause as written (`ESMTPS`, `Microsoft SMTP Server`, `LMTP`, `HTTP`, ...).
    pub protocol: Option<String>,
    /// The `via` clause (`HTTP`, ...).
    pub via: Option<String>,
    pub id: Option<String>,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// The date after `;`, in UTC (RFC 3339).
    pub date: Option<String>,
    /// The same date as a Unix timestamp.
    #[serde(skip)]
    pub timestamp: Option<i64>,
    /// SMTP AUTH or another sign of an authenticated submission.
    pub authenticated: bool,
    /// The receiver noted `(may be forged)` about the rDNS name (the address still stands).
    pub may_be_forged: bool,
    /// The receiver's format has a place for the peer's rDNS name (`(name [ip])`), so an
    /// empty one means it found none; Microsoft's `from HELO (ip)` form records none at all.
    #[serde(skip)]
    pub records_rdns: bool,
    /// An address literal in the `from` clause that is not a legal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illegal_ip: Option<String>,
    /// The header value with line breaks and runs of white space collapsed.
    pub raw: String,
}

/// What the walk made of one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Written by the receiving organisation, peer inside it: skipped.
    Internal,
    /// The first external peer was a mail provider or hosted filter acting as inbound MX
    /// (rule 6): trusted, the walk continues inside it.
    Forwarder,
    /// The hop that gives the origin.
    Origin,
    /// The walk ended here without a recorded hand-over (webmail, local submission, ...).
    End,
    /// Below the origin, or not anchored: possibly forged, never the answer.
    Untrusted,
    /// Skipped as internal on the peer's recorded name alone (never proof): everything the
    /// walk finds below rests on that name.
    Unconfirmed,
}

/// A reverse-DNS name the walk could not take on trust: the peer's address and the name
/// recorded for it. A forward-confirmed lookup (the name resolves back to the address)
/// would settle it; the pure analysis stage does no DNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameCheck {
    pub name: String,
    pub ip: String,
}

/// One hop with the walk's verdict and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalkedHop {
    #[serde(flatten)]
    pub hop: Hop,
    pub role: Role,
    pub why: String,
}

/// The originating IP of M and why it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    pub ip: String,
    /// Index of the hop in M's Received chain (0 = topmost).
    pub hop: usize,
    pub helo: Option<String>,
    pub rdns: Option<String>,
    /// `trust_transfer` (a bounce: anchored at the bouncer), `direct` (spam received
    /// directly, anchored at our own MX), `forwarder` (rule 6 traversal inside a provider
    /// or hosted filter).
    pub method: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    pub reason: String,
    /// The address is a documentation placeholder: report it, never geolocate it.
    pub documentation: bool,
    /// The receiver marked the peer's reverse name "(may be forged)": it failed the
    /// receiver's own forward check, so the name is known not to be the peer's.
    #[serde(skip)]
    pub rdns_may_be_forged: bool,
}

/// Which of M's hops the walk was anchored at, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anchor {
    pub hop: usize,
    /// What matched: `by host mx2.example.jp is the bouncer's Reporting-MTA`, ...
    pub matched: String,
    /// Matched on the outer message's own Received evidence (address, host names), not only
    /// on the report text.
    pub strong: bool,
}

/// What the walk found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OriginReport {
    pub origin: Option<Origin>,
    /// Why there is no origin, when there is none.
    pub no_origin_reason: Option<String>,
    /// The first external peer (rule 5), before forwarder traversal.
    pub boundary_ip: Option<String>,
    /// The peer that handed the bounce to our mail system.
    pub bouncer_ip: Option<String>,
    /// Public addresses below the origin: clues, possibly forged.
    pub untrusted_hops: Vec<String>,
    pub anomalies: Vec<String>,
    /// Names the walk went past on the name alone, not an address: what `--resolve` would
    /// have to confirm forward (FCrDNS) before the origin below them can be trusted.
    pub needs_fcrdns: Vec<NameCheck>,
    /// Who the bouncing (or wrapping) organisation is.
    pub bouncer: Option<BouncerIdentity>,
    pub anchor: Option<Anchor>,
    /// M's Received chain, each hop with its role.
    pub hops: Vec<WalkedHop>,
    /// The outer message's Received chain (for a bounce), each hop with its role.
    pub outer_hops: Vec<WalkedHop>,
    /// Authentication-Results, Received-SPF, X-Originating-IP, ... and what they say.
    pub corroboration: Vec<Corroboration>,
}

/// Trust settings from config.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    /// Our own domains (the victim's): hosts under them are ours.
    pub own_domains: Vec<String>,
    /// Our MX host names: the first line they wrote is where the outer walk starts.
    pub own_mx: Vec<String>,
    /// Our relays: peers inside these networks are internal on the outer message.
    pub own_relays: Vec<ipnetwork::IpNetwork>,
    /// SpamAssassin-style `trusted_networks` (rule 10): peers inside these networks are
    /// treated as relays of the receiving organisation in every walk.
    pub trusted_networks: Vec<ipnetwork::IpNetwork>,
    /// Host names or domains declared trusted the same way (matched against the recorded
    /// reverse name only, never a HELO; a name is not proof, so an origin found past such
    /// a host is low confidence, see `needs_fcrdns`).
    pub trusted_hosts: Vec<String>,
}

/// Walks the outer message (`outer`, the raw bytes) and, if the bounce stage carved one, M.
pub fn walk(outer: &[u8], bounce: &BounceReport, cfg: &TrustConfig) -> OriginReport {
    transfer::run(outer, bounce, cfg)
}
