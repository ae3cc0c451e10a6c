//! The readable form of `blowback lookup`: one block of `field: value` lines per answer,
//! then the raw records it rests on (server, query, time) and what failed.

use std::io::{self, Write};

use crate::enrich::{AbuseContact, LookupRecord, LookupResult};
use crate::output::printable;

/// Writes one lookup answer as text.
pub fn write(result: &LookupResult, out: &mut impl Write) -> io::Result<()> {
    let mut lines: Vec<(&str, String)> = Vec::new();
    let mut tail: (&[LookupRecord], Vec<String>) = (&[], Vec::new());
    match result {
        LookupResult::Ip(ip) => {
            lines.push(("ip", ip.ip.clone()));
            push_opt(&mut lines, "not looked up", ip.not_looked_up.clone());
            push_opt(&mut lines, "country", ip.country.clone());
            push_opt(&mut lines, "asn", ip.asn.map(|a| format!("AS{a}")));
            push_opt(&mut lines, "as org", ip.as_org.clone());
            if let Some(network) = &ip.network {
                push_opt(&mut lines, "network", network.cidr.clone());
                lines.push(("network status", network.status.name().to_string()));
                for check in &network.checks {
                    lines.push(("check", check.clone()));
                }
                push_opt(&mut lines, "netname", network.netname.clone());
                push_opt(&mut lines, "network country", network.country.clone());
                push_abuse(&mut lines, &network.abuse);
            }
            for ptr in &ip.ptr {
                let check = if ptr.confirmed {
                    "forward-confirmed"
                } else {
                    "not confirmed"
                };
                lines.push(("ptr", format!("{} ({check})", ptr.name)));
            }
            tail = (
                &ip.records,
                ip.errors.iter().chain(&ip.missing).cloned().collect(),
            );
        }
        LookupResult::Domain(domain) => {
            lines.push(("domain", domain.domain.clone()));
            push_opt(
                &mut lines,
                "registered domain",
                domain.registered_domain.clone(),
            );
            push_opt(&mut lines, "not looked up", domain.not_looked_up.clone());
            push_opt(&mut lines, "registrar", domain.registrar.clone());
            if domain.registrar.is_some() || !domain.abuse.is_empty() {
                lines.push(("registrar status", domain.registrar_status.name().into()));
            }
            for check in &domain.checks {
                lines.push(("check", check.clone()));
            }
            push_abuse(&mut lines, &domain.abuse);
            for (name, values) in [
                ("a", &domain.a),
                ("aaaa", &domain.aaaa),
                ("mx", &domain.mx),
                ("ns", &domain.ns),
            ] {
                if !values.is_empty() {
                    lines.push((name, values.join(", ")));
                }
            }
            tail = (
                &domain.records,
                domain
                    .errors
                    .iter()
                    .chain(&domain.missing)
                    .cloned()
                    .collect(),
            );
        }
        LookupResult::Asn(asn) => {
            lines.push(("asn", format!("AS{}", asn.asn)));
            push_opt(&mut lines, "name", asn.name.clone());
            push_opt(&mut lines, "holder", asn.holder.clone());
            push_opt(&mut lines, "country", asn.country.clone());
            lines.push(("status", asn.status.name().into()));
            for check in &asn.checks {
                lines.push(("check", check.clone()));
            }
            push_abuse(&mut lines, &asn.abuse);
            tail = (
                &asn.records,
                asn.errors.iter().chain(&asn.missing).cloned().collect(),
            );
        }
        LookupResult::Phone(phone) => {
            lines.push(("phone", phone.number.clone()));
            push_opt(&mut lines, "calling code", phone.calling_code.clone());
            if !phone.countries.is_empty() {
                lines.push(("countries", phone.countries.join(", ")));
            }
        }
    }
    for (name, value) in lines {
        writeln!(out, "{name:>18}: {}", printable(&value))?;
    }
    for record in tail.0 {
        writeln!(
            out,
            "{:>18}: {} {} {:?} at {}",
            "answer",
            record.kind,
            printable(&record.server),
            printable(&record.query),
            record.time
        )?;
    }
    for problem in tail.1 {
        writeln!(out, "{:>18}: {}", "note", printable(&problem))?;
    }
    writeln!(out)
}

fn push_opt(lines: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<String>) {
    if let Some(value) = value {
        lines.push((name, value));
    }
}

fn push_abuse(lines: &mut Vec<(&'static str, String)>, abuse: &[AbuseContact]) {
    for contact in abuse {
        lines.push((
            "abuse",
            format!(
                "{} ({:?}, {}, {} via {})",
                contact.email,
                contact.scope,
                contact.status.name(),
                contact.source,
                contact.via
            ),
        ));
    }
}
