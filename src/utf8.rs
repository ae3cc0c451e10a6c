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

#[cfg(test)]
mod tests {
    use super::*;

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
