//! ARF (RFC 5965): a `multipart/report; report-type=feedback-report` message about one
//! spam message, built in code. Part 1 is a short human note, part 2 the
//! `message/feedback-report` fields, part 3 the message itself (`message/rfc822`), or
//! only its header (`text/rfc822-headers`) when just the header was returned or a line
//! is too long to travel unencoded. Our own addresses are redacted (RFC 6590) before
//! anything is written, by [`super::redact`].

use std::io::{self, Write};

use super::mime::{header, quoted_printable, sanitize};

/// The carved message a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub bytes: Vec<u8>,
    /// Only the header block was returned by the bouncer.
    pub headers_only: bool,
}

/// The `message/feedback-report` fields (RFC 5965 section 3.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackReport {
    pub user_agent: String,
    pub source_ip: Option<String>,
    /// RFC 5322 date-time.
    pub arrival_date: Option<String>,
    pub original_mail_from: Option<String>,
    pub original_rcpt_to: Vec<String>,
    pub reported_domains: Vec<String>,
    pub reported_uris: Vec<String>,
}

impl FeedbackReport {
    pub fn new(user_agent: impl Into<String>) -> Self {
        FeedbackReport {
            user_agent: user_agent.into(),
            ..Default::default()
        }
    }

    pub fn with_source_ip(mut self, ip: Option<String>) -> Self {
        self.source_ip = ip;
        self
    }

    pub fn with_arrival_date(mut self, date: Option<String>) -> Self {
        self.arrival_date = date;
        self
    }

    pub fn with_original_mail_from(mut self, from: Option<String>) -> Self {
        self.original_mail_from = from;
        self
    }

    pub fn with_original_rcpt_to(mut self, to: Vec<String>) -> Self {
        self.original_rcpt_to = to;
        self
    }

    pub fn with_reported(mut self, domains: Vec<String>, uris: Vec<String>) -> Self {
        self.reported_domains = domains;
        self.reported_uris = uris;
        self
    }

    /// The fields as written in the report part (CRLF line ends).
    pub fn fields(&self) -> String {
        let mut out = String::new();
        out.push_str("Feedback-Type: abuse\r\n");
        out.push_str(&header("User-Agent", &self.user_agent));
        out.push_str("Version: 1\r\n");
        if let Some(from) = &self.original_mail_from {
            out.push_str(&field("Original-Mail-From", &format!("<{}>", token(from))));
        }
        for to in &self.original_rcpt_to {
            out.push_str(&field("Original-Rcpt-To", &format!("<{}>", token(to))));
        }
        if let Some(date) = &self.arrival_date {
            out.push_str(&header("Arrival-Date", date));
        }
        if let Some(ip) = &self.source_ip {
            out.push_str(&field("Source-IP", &token(ip)));
        }
        out.push_str("Incidents: 1\r\n");
        for domain in &self.reported_domains {
            out.push_str(&field("Reported-Domain", &token(domain)));
        }
        for uri in self.reported_uris.iter().filter(|u| u.len() <= 900) {
            out.push_str(&field("Reported-Uri", &token(uri)));
        }
        out
    }
}

/// A field whose value is one token (no folding needed, never CR/LF).
fn field(name: &str, value: &str) -> String {
    format!("{name}: {value}\r\n")
}

/// Printable ASCII without spaces, angle brackets or controls; anything else is
/// percent-encoded so a value stays one token on one line.
fn token(text: &str) -> String {
    let mut out = String::new();
    for b in sanitize(text, 900).bytes() {
        if (0x21..0x7f).contains(&b) && !b"<>\"".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The outer headers of an ARF message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArfHeaders {
    pub from: String,
    pub to: Option<String>,
    pub subject: String,
    pub date: String,
    pub message_id: String,
}

/// Writes a whole ARF message.
pub fn write_arf<W: Write>(
    out: &mut W,
    headers: &ArfHeaders,
    note: &str,
    report: &FeedbackReport,
    evidence: &Evidence,
) -> io::Result<()> {
    let (kind, body) = evidence_part(evidence);
    let fields = report.fields();
    let boundary = super::complaint::boundary("arf", &[note.as_bytes(), fields.as_bytes(), &body]);
    write!(out, "{}", header("From", &headers.from))?;
    if let Some(to) = &headers.to {
        write!(out, "{}", header("To", to))?;
    }
    write!(out, "{}", header("Subject", &headers.subject))?;
    write!(out, "{}", header("Date", &headers.date))?;
    write!(out, "{}", header("Message-ID", &headers.message_id))?;
    write!(out, "MIME-Version: 1.0\r\n")?;
    write!(
        out,
        "Content-Type: multipart/report; report-type=feedback-report;\r\n boundary=\"{boundary}\"\r\n\r\n"
    )?;
    write!(
        out,
        "This is a multi-part message in MIME format (RFC 5965 abuse report).\r\n\r\n"
    )?;
    write!(
        out,
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    )?;
    write!(out, "{}", quoted_printable(note))?;
    write!(
        out,
        "\r\n--{boundary}\r\nContent-Type: message/feedback-report\r\n\r\n{fields}"
    )?;
    write!(out, "\r\n--{boundary}\r\n{kind}\r\n\r\n")?;
    out.write_all(&body)?;
    if !body.ends_with(b"\r\n") {
        out.write_all(b"\r\n")?;
    }
    write!(out, "\r\n--{boundary}--\r\n")?;
    Ok(())
}

/// The ARF message as bytes.
pub fn to_bytes(
    headers: &ArfHeaders,
    note: &str,
    report: &FeedbackReport,
    evidence: &Evidence,
) -> Vec<u8> {
    let mut out = Vec::new();
    write_arf(&mut out, headers, note, report, evidence).expect("writing to a Vec never fails");
    out
}

/// The third part's content-type line(s) and body: the whole message when it can
/// travel as `message/rfc822` (8bit, lines up to 998 octets, no NUL), else its header
/// block as quoted-printable `text/rfc822-headers`.
fn evidence_part(evidence: &Evidence) -> (String, Vec<u8>) {
    let crlf = to_crlf(&evidence.bytes);
    let travels = !evidence.headers_only
        && !crlf.contains(&0)
        && crlf.split(|&b| b == b'\n').all(|line| line.len() <= 999);
    if travels {
        return (
            "Content-Type: message/rfc822\r\nContent-Disposition: inline".into(),
            crlf,
        );
    }
    let end = header_end(&crlf);
    let head = String::from_utf8_lossy(&crlf[..end]).into_owned();
    (
        "Content-Type: text/rfc822-headers; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable".into(),
        quoted_printable(&head).into_bytes(),
    )
}

/// End of the header block (after the blank line), or the whole text.
fn header_end(bytes: &[u8]) -> usize {
    memchr::memmem::find(bytes, b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(bytes.len())
}

/// Line ends as CRLF (bare LF and bare CR become CRLF).
pub fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_stay_on_one_line() {
        assert_eq!(token("a b\r\nc<d>"), "a%20b%20c%3Cd%3E");
    }
}
