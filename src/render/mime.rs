//! MIME building blocks: header values that can never carry CR or LF (sanitised, RFC
//! 2047 encoded when not plain ASCII, folded), quoted-printable and base64 bodies.

/// Header-safe text: control characters (CR, LF, TAB, NUL, ...) and bidi overrides
/// become spaces, runs of spaces collapse, and the result is cut to `max` characters.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_control() || is_bidi(c) { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    let out = out.trim_end();
    if out.chars().count() > max {
        let mut cut: String = out.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        out.to_string()
    }
}

/// Is `c` a bidirectional override or isolate (text that reorders what follows)?
pub fn is_bidi(c: char) -> bool {
    crate::sanitize::is_bidi(c)
}

/// One header line `Name: value` with CRLF, the value sanitised, RFC 2047
/// B-encoded when it is not printable ASCII, and folded below 78 characters.
pub fn header(name: &str, value: &str) -> String {
    let value = sanitize(value, 998);
    let ascii = value.bytes().all(|b| (0x20..0x7f).contains(&b));
    let words: Vec<String> = if ascii && !value.contains("=?") {
        value.split(' ').map(String::from).collect()
    } else {
        encoded_words(&value)
    };
    let mut out = format!("{name}:");
    let mut line_len = out.len();
    for word in words {
        if line_len + 1 + word.len() > 76 && line_len > name.len() + 1 {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(&word);
        line_len += 1 + word.len();
    }
    out.push_str("\r\n");
    out
}

/// RFC 2047 `=?UTF-8?B?...?=` words of at most 39 octets (64 characters), split on character
/// boundaries.
pub fn encoded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words
}

/// A header parameter value (file name): sanitised to `[A-Za-z0-9._-]`.
pub fn safe_token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, on one line.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters, each ending in CRLF (a MIME body).
pub fn base64_lines(bytes: &[u8]) -> String {
    let flat = base64(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 38);
    for line in flat.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045) with CRLF line ends and soft breaks at 76 characters.
/// Lone CR and LF in the text become line breaks.
pub fn quoted_printable(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(normalised.len() + normalised.len() / 10);
    for line in normalised.split('\n') {
        let mut len = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if len + piece.len() > 75 {
                out.push_str("=\r\n");
                len = 0;
            }
            out.push_str(&piece);
            len += piece.len();
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_never_carry_line_breaks() {
        let h = header("Subject", "Hi\r\nBcc: victim@example.com\n\nbody");
        assert_eq!(h.matches("\r\n").count(), 1, "{h:?}");
        assert!(h.starts_with("Subject: Hi Bcc: victim@example.com body"));
        let long = header("Subject", &"ä".repeat(300));
        for line in long.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        assert!(!long.trim_end().contains('\n') || long.contains("\r\n "));
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn quoted_printable_keeps_lines_short() {
        let qp = quoted_printable(&format!("{}=\u{e4} \n", "x".repeat(200)));
        assert!(qp.lines().all(|l| l.len() <= 76));
        assert!(qp.contains("=3D=C3=A4=20"));
    }
}
