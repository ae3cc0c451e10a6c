//! `blowback explain`: the trust walk in plain words, hop by hop, written to any
//! `io::Write` (tests render into a `Vec<u8>`).

use std::io::{self, Write};

use super::{OriginReport, Role, WalkedHop};

/// Writes the walk of `report` in plain words. Host names and reasons come from the
/// message's own Received lines, so the text is made printable on the way out.
pub fn explain<W: Write>(report: &OriginReport, out: &mut W) -> io::Result<()> {
    out.write_all(explain_to_string(report).as_bytes())
}

fn explain_raw<W: Write>(report: &OriginReport, out: &mut W) -> io::Result<()> {
    if !report.outer_hops.is_empty() {
        writeln!(
            out,
            "Our mail system's Received lines (the bounce as it reached us):"
        )?;
        write_hops(&report.outer_hops, out)?;
        match &report.bouncer_ip {
            Some(ip) => writeln!(out, "=> The bounce was handed to us by {ip} (bouncer_ip).")?,
            None => writeln!(
                out,
                "=> No external peer handed the bounce to us (bouncer_ip unknown)."
            )?,
        }
        writeln!(out)?;
    }
    if let Some(b) = &report.bouncer {
        let mut names: Vec<&str> = Vec::new();
        for n in b.hosts.iter().chain(b.report_hosts.iter()) {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        let names = if names.is_empty() {
            "unknown".to_string()
        } else {
            names.join(", ")
        };
        match &b.ip {
            Some(ip) => writeln!(
                out,
                "The bouncing organisation: {names} (handed over from {ip})"
            )?,
            None => writeln!(out, "The bouncing organisation: {names}")?,
        }
        if !b.domains.is_empty() {
            writeln!(out, "  domains: {}", b.domains.join(", "))?;
        }
    }
    if let Some(a) = &report.anchor {
        writeln!(
            out,
            "Anchor: line {} of the message, because {}.",
            a.hop, a.matched
        )?;
    }
    if !report.hops.is_empty() {
        writeln!(out, "The message's Received lines, newest first:")?;
        write_hops(&report.hops, out)?;
    }
    match &report.origin {
        Some(o) => {
            writeln!(
                out,
                "=> Origin {} (line {}, method {}, confidence {}).",
                o.ip, o.hop, o.method, o.confidence
            )?;
            writeln!(out, "   {}", o.reason)?;
            if o.documentation {
                writeln!(
                    out,
                    "   {} is a documentation placeholder: it will not be geolocated or looked up.",
                    o.ip
                )?;
            }
        }
        None => writeln!(
            out,
            "=> No origin: {}.",
            report
                .no_origin_reason
                .as_deref()
                .unwrap_or("no public hand-over is recorded")
        )?,
    }
    if let Some(b) = &report.boundary_ip {
        writeln!(out, "   First external peer (boundary): {b}.")?;
    }
    if !report.untrusted_hops.is_empty() {
        writeln!(
            out,
            "   Below the origin (possibly forged, never the answer): {}.",
            report.untrusted_hops.join(", ")
        )?;
    }
    for c in &report.corroboration {
        let trust = if c.trusted {
            "written by a trusted hop"
        } else {
            "not written by a trusted hop, ignored"
        };
        let agree = match c.agrees {
            Some(true) => ", agrees",
            Some(false) if c.conflict => ", CONFLICTS",
            Some(false) => ", names another hop",
            None => "",
        };
        let named = c.ip.as_deref().or(c.name.as_deref()).unwrap_or("-");
        writeln!(out, "   {}: {named} ({trust}{agree})", c.header)?;
    }
    for a in &report.anomalies {
        writeln!(out, "   Anomaly: {a}")?;
    }
    Ok(())
}

/// `explain` into a `String`, with no control or bidi character from the message.
pub fn explain_to_string(report: &OriginReport) -> String {
    let mut buf = Vec::new();
    let _ = explain_raw(report, &mut buf);
    crate::sanitize::printable_lines(&String::from_utf8_lossy(&buf))
}

fn write_hops<W: Write>(hops: &[WalkedHop], out: &mut W) -> io::Result<()> {
    for h in hops {
        let role = match h.role {
            Role::Internal => "internal ",
            Role::Forwarder => "forwarder",
            Role::Origin => "ORIGIN   ",
            Role::End => "end      ",
            Role::Untrusted => "untrusted",
            Role::Unconfirmed => "name-only",
        };
        let peer = h
            .hop
            .from_ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "-".into());
        let by = h.hop.by_host.as_deref().unwrap_or("?");
        writeln!(out, "  [{}] {role} {peer} -> {by}: {}", h.hop.index, h.why)?;
    }
    Ok(())
}
