//! The text of the sink's 550 at the end of DATA: that our domain did not send the
//! message, and, from this very message, where the spam came from and what it
//! advertises. Only what the analysis established is named (an origin the Received walk
//! could not find is said to be unknown); every line is printable ASCII and short enough
//! for an SMTP reply line (RFC 5321 4.5.3.1.5: 512 octets with the code).

use crate::output::Record;

use super::printable_ascii;

/// Longest text of one reply line (the code, the enhanced status and CRLF stay well
/// inside 512 octets).
pub const MAX_LINE: usize = 400;
/// Most advertised contacts named.
const MAX_CONTACTS: usize = 6;

/// The lines of the 550 reply (without codes), for a message to `domain`.
pub fn reject_lines(record: &Record, domain: &str) -> Vec<String> {
    let domain = printable_ascii(domain, 100);
    let mut lines = vec![format!(
        "{domain} did not send this message: spammers forged our address as the sender"
    )];
    lines.push(match origin_text(record) {
        Some(origin) => format!("The spam was sent from {origin}"),
        None => "Where the spam was sent from could not be established".into(),
    });
    let contacts = advertised(record);
    if !contacts.is_empty() {
        lines.push(fit(&format!("It advertises {}", contacts.join(", "))));
    }
    lines.push("Please report the spam there; the message is kept as evidence".into());
    lines
        .into_iter()
        .map(|line| printable_ascii(&line, MAX_LINE))
        .collect()
}

/// `203.0.113.5 (AS64500 Example Net, RU)`.
fn origin_text(record: &Record) -> Option<String> {
    let origin = record.origin.as_ref()?;
    let ip = printable_ascii(&origin.found.ip, 60);
    let mut facts = Vec::new();
    let network = origin.network.as_ref();
    let geo = origin.geo.as_ref();
    let asn = network.and_then(|n| n.asn).or(geo.and_then(|g| g.asn));
    let org = network
        .and_then(|n| n.as_org.clone().or_else(|| n.netname.clone()))
        .or_else(|| geo.and_then(|g| g.as_org.clone()));
    match (asn, org) {
        (Some(asn), Some(org)) => facts.push(format!("AS{asn} {}", printable_ascii(&org, 80))),
        (Some(asn), None) => facts.push(format!("AS{asn}")),
        (None, Some(org)) => facts.push(printable_ascii(&org, 80)),
        (None, None) => {}
    }
    if let Some(cidr) = network.and_then(|n| n.cidr.as_deref()) {
        facts.push(format!("network {}", printable_ascii(cidr, 50)));
    }
    if let Some(country) = network
        .and_then(|n| n.country.clone())
        .or_else(|| geo.and_then(|g| g.country.clone()))
    {
        facts.push(printable_ascii(&country, 10));
    }
    Some(if facts.is_empty() {
        ip
    } else {
        format!("{ip} ({})", facts.join(", "))
    })
}

/// The advertised contacts, ASCII forms only (a contact that would need non-ASCII text
/// is left out rather than garbled).
fn advertised(record: &Record) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for contact in &record.contacts {
        if contact.role != "advertised" || !contact.value.is_ascii() {
            continue;
        }
        let text = format!("{} {}", contact.kind, printable_ascii(&contact.value, 120));
        if !out.contains(&text) {
            out.push(text);
        }
        if out.len() == MAX_CONTACTS {
            break;
        }
    }
    out
}

/// Cuts a line to [`MAX_LINE`] at a character boundary, marking the cut.
fn fit(line: &str) -> String {
    if line.len() <= MAX_LINE {
        return line.to_string();
    }
    let mut cut = MAX_LINE - 4;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{} ...", &line[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Contact;

    #[test]
    fn unknown_origin_accuses_no_one() {
        let record = Record::new("x".into(), None);
        let lines = reject_lines(&record, "victim.example");
        assert!(lines[0].starts_with("victim.example did not send"));
        assert!(lines[1].contains("could not be established"), "{lines:?}");
    }

    #[test]
    fn contacts_are_named_within_limits_and_without_controls() {
        let mut record = Record::new("x".into(), None);
        let template = Contact {
            kind: "domain".into(),
            value: String::new(),
            raw: String::new(),
            obfuscated: false,
            where_: crate::contacts::Where {
                part: 0,
                offset: 0,
                field: "text".into(),
            },
            how: "text-url".into(),
            role: "advertised".into(),
            count: 1,
            country: None,
            registrable_domain: None,
        };
        for i in 0..50 {
            let mut c = template.clone();
            c.value = format!("shop{i}-{}.example\r\nRCPT", "x".repeat(100));
            record.contacts.push(c);
        }
        let lines = reject_lines(&record, "victim.example\r\n");
        for line in &lines {
            assert!(line.len() <= MAX_LINE);
            assert!(line.bytes().all(|b| (0x20..0x7f).contains(&b)), "{line:?}");
        }
        assert!(lines[2].contains("shop0-"), "{lines:?}");
    }
}
