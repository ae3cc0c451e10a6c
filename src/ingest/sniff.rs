//! Format detection from a message's first bytes and a directory's shape.

use std::path::Path;

/// True when the bytes look like the start of an mbox: a `From ` envelope line.
pub fn looks_like_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ") && !head.starts_with(b"From: ")
}

/// True when the bytes start like a mail message: an mbox From_ line or a header field
/// (`Name: value`). Used to pass over non-mail files met while walking a directory.
pub fn looks_like_mail(head: &[u8]) -> bool {
    if looks_like_mbox(head) || head.starts_with(b">From ") {
        return true;
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let name_len = head
        .iter()
        .take_while(|&&b| b.is_ascii_graphic() && b != b':')
        .count();
    name_len > 0 && head.get(name_len) == Some(&b':')
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
    }
}
