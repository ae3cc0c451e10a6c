//! Bytes read as UTF-8 text, invalid sequences as U+FFFD.

use std::borrow::Cow;

/// `String::from_utf8_lossy`, with the fast check for valid UTF-8 first: header names
/// and values are almost always plain ASCII, and the lossy decoder walks them byte by
/// byte.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `str::to_lowercase`, with runs of ASCII lowered in bulk. The standard one goes
/// character by character from the first non-ASCII character on, and report texts often
/// have one (a no-break space, a typographic quote) near their start.
pub fn to_lowercase(text: &str) -> String {
    // A capital sigma lowers by its place in the word: left to the standard version.
    if text.contains('\u{3A3}') {
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_as_the_standard_one() {
        for text in [
            "",
            "Plain ASCII TEXT",
            "Caf\u{e9} \u{c9}T\u{c9}\u{a0}Mail DELIVERY",
            "\u{130}stanbul \u{1E9E} \u{2160}",
            "\u{41C}\u{410}\u{418}\u{41B} Message NOT delivered",
            "\u{39F}\u{394}\u{39F}\u{3A3} \u{3A3}",
            "\u{10400}X",
        ] {
            assert_eq!(to_lowercase(text), text.to_lowercase(), "{text:?}");
        }
    }

    #[test]
    fn same_as_from_utf8_lossy() {
        for bytes in [
            &b"plain"[..],
            b"caf\xc3\xa9",
            b"bad \xff\xfe end",
            b"cut \xe2\x82",
            b"",
        ] {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes));
        }
    }
}
