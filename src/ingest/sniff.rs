//! Format detection from a message's first bytes and a directory's shape.

use std::path::Path;

/// True when the bytes look like the start of an mbox: a `From ` envelope line.
pub fn looks_like_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ") && !head.starts_with(b"From: ")
}

/// True when the bytes start like a mail message, read as leniently as a file named on
/// the command line is (so a file gets the same answer alone and in a directory): a BOM,
/// NULs, blank lines and spaces before the first line are passed over, and a malformed
/// first line is tolerated when a header block follows. Mail is an mbox From_ line, a
/// field with a name mail headers use, or two field lines in a row. Used to pass over
/// non-mail files (README, LICENSE, PROVENANCE.tsv, JSON) met while walking a directory.
pub fn looks_like_mail(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|&b| !(b == 0 || b.is_ascii_whitespace()))
        .unwrap_or(head.len());
    let mut head = &head[start..];
    while let Some(rest) = head.strip_prefix(b"\xef\xbb\xbf") {
        let start = rest
            .iter()
            .position(|&b| !(b == 0 || b.is_ascii_whitespace()))
            .unwrap_or(rest.len());
        head = &rest[start..];
    }
    if looks_like_mbox(head) || head.starts_with(b">From ") {
        return true;
    }
    let mut previous_was_field = false;
    // Lines end in LF, CRLF or a bare CR (old Mac mail); blank lines are passed over.
    let lines = head
        .split(|&b| b == b'\n' || b == b'\r')
        .filter(|line| !line.is_empty());
    for line in lines.take(SNIFF_LINES) {
        if previous_was_field && line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            continue; // a folded field continues
        }
        let Some(name) = field_name(line) else {
            previous_was_field = false;
            continue;
        };
        if previous_was_field || is_mail_field(name) {
            return true;
        }
        previous_was_field = true;
    }
    false
}

/// Lines looked at for a header field.
const SNIFF_LINES: usize = 12;

/// Header fields that, met near the start of a file, say it is mail (one is enough).
const MAIL_FIELDS: &[&str] = &[
    "received",
    "return-path",
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "reply-to",
    "sender",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-failed-recipients",
    "dkim-signature",
    "authentication-results",
    "arc-seal",
    "received-spf",
    "x-mailer",
    "precedence",
];

/// The name of a header field line (`Name: value`, a name of letters, digits, `-`,
/// `_` and `.`), if the line is one.
fn field_name(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    let name = name.strip_suffix(b" ").unwrap_or(name);
    (!name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
    .then_some(name)
}

fn is_mail_field(name: &[u8]) -> bool {
    MAIL_FIELDS
        .iter()
        .any(|f| f.as_bytes().eq_ignore_ascii_case(name))
}

/// True when `dir` is a Maildir folder: it has a `cur` or `new` subdirectory.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_line_is_mbox_but_from_header_is_not() {
        assert!(looks_like_mbox(
            b"From MAILER-DAEMON Fri Jul  5 10:00:00 2019\n"
        ));
        assert!(!looks_like_mbox(b"From: someone@example.org\n"));
        assert!(!looks_like_mbox(b"Received: from x\n"));
        assert!(!looks_like_mbox(b""));
    }

    #[test]
    fn mail_is_told_from_other_files() {
        assert!(looks_like_mail(b"Return-Path: <>\nReceived: x\n"));
        assert!(looks_like_mail(
            b"From MAILER-DAEMON Fri Jul  5 10:00:00 2019\n"
        ));
        assert!(!looks_like_mail(b"Copyright (c) 2014, azumakuniyuki\n"));
        assert!(!looks_like_mail(b"file\trepo\tcommit\n"));
        assert!(!looks_like_mail(b"# README\n"));
        assert!(!looks_like_mail(
            b"{\"file\":\"a.eml\",\"x\":1}\n{\"file\":\"b\"}\n"
        ));
        assert!(!looks_like_mail(
            b"Note: this folder holds samples.\n\nSee below.\n"
        ));
        assert!(!looks_like_mail(b"\x7fELF\x02\x01\x01\0\0\0"));
    }

    #[test]
    fn leading_junk_is_tolerated_as_a_file_named_alone_is() {
        for head in [
            &b"\xef\xbb\xbfReturn-Path: <>\n"[..],
            b"\n\nReturn-Path: <>\n",
            b"   Received: from x\n",
            b"\0\0Subject: x\n",
            b"\r\n\xef\xbb\xbf\0 From MAILER-DAEMON Fri Jul  5 10:00:00 2019\n",
            b"garbage first line\nReceived: from x\nSubject: y\n",
            b"X-Spam-Score: 3\nX-Whatever: y\n\nbody\n",
            b"X-Long: a\n b\nX-Other: c\n",
            b"x-store-info:abc\rAuthentication-Results: x\r",
        ] {
            assert!(looks_like_mail(head), "{:?}", String::from_utf8_lossy(head));
        }
    }
}
