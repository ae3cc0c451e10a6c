//! Received stage (pure): parses the Received chains of the bounce and of M into hops,
//! finds the bouncer's address on the outer message and carries trust from our own MX
//! through the bouncer into M, to the origin IP (DESIGN.md, "Originating IP").

use serde::Serialize;

use crate::bounce::BounceReport;

/// The originating IP of M and why it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    pub ip: String,
    /// Index of the hop in M's Received chain (0 = topmost).
    pub hop: usize,
    pub helo: Option<String>,
    pub rdns: Option<String>,
    /// `trust_transfer`, `dsn_remote_mta`, `direct`, ...
    pub method: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    pub reason: String,
}

/// What the walk found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OriginReport {
    pub origin: Option<Origin>,
    /// Why there is no origin, when there is none.
    pub no_origin_reason: Option<String>,
    pub boundary_ip: Option<String>,
    pub bouncer_ip: Option<String>,
    pub untrusted_hops: Vec<String>,
    pub anomalies: Vec<String>,
}

/// Trust settings from config.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    pub own_domains: Vec<String>,
    pub own_mx: Vec<String>,
    pub own_relays: Vec<ipnetwork::IpNetwork>,
}

/// Walks the outer message (`outer`, the raw bytes) and, if the bounce stage carved one, M.
pub fn walk(outer: &[u8], bounce: &BounceReport, cfg: &TrustConfig) -> OriginReport {
    let _ = (outer, bounce, cfg);
    OriginReport::default()
}
