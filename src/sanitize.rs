//! The one rule for input text shown to people: no C0 or C1 control character (ESC,
//! BEL, CR, NUL, CSI, ...) and no bidirectional formatting character (overrides,
//! embeddings, isolates and marks) coming from a message, a file name or a lookup
//! reaches a terminal, a spreadsheet, a Markdown index, a complaint or an HTML page,
//! where it could drive the terminal, hide text or reorder what a reader sees.
//!
//! Every output people read goes through [`printable`] (one line) or
//! [`printable_lines`] (a block that keeps its line breaks and tabs). NDJSON and JSON
//! keep the data as it was, escaped by JSON.

/// True for a character input text must not carry into a human-readable output.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi(c)
}

/// Bidirectional formatting characters: LRE, RLE, PDF, LRO, RLO (U+202A–U+202E), the
/// isolates LRI, RLI, FSI, PDI (U+2066–U+2069), the marks LRM, RLM (U+200E, U+200F) and
/// the Arabic letter mark (U+061C).
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// One line of input text made safe to show: every unsafe character (line breaks
/// included) becomes `?`, so the text stays on its line and the reader sees that
/// something was there.
pub fn printable(text: &str) -> String {
    replace(text, '?', false)
}

/// A block of input text made safe to show: line feeds and tabs are kept (a CR before
/// a line feed is dropped), every other unsafe character becomes `?`.
pub fn printable_lines(text: &str) -> String {
    replace(&text.replace("\r\n", "\n"), '?', true)
}

/// `text` with each unsafe character replaced by `with`; line feeds and tabs kept when
/// `keep_lines`.
pub fn replace(text: &str, with: char, keep_lines: bool) -> String {
    text.chars()
        .map(|c| {
            if is_unsafe(c) && !(keep_lines && (c == '\n' || c == '\t')) {
                with
            } else {
                c
            }
        })
        .collect()
}

/// Every character [`is_unsafe`] is true for, for tests of the outputs: all C0 and C1
/// controls, DEL and the bidi formatting characters.
pub fn all_unsafe() -> impl Iterator<Item = char> {
    ('\0'..='\u{9f}')
        .chain('\u{200e}'..='\u{200f}')
        .chain('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}')
        .chain(std::iter::once('\u{061c}'))
        .filter(|&c| is_unsafe(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_bidi_character_is_replaced() {
        let hostile: String = all_unsafe().collect();
        // 32 C0 + DEL + 32 C1 + 2 marks + 5 embeddings/overrides + 4 isolates + ALM.
        assert_eq!(hostile.chars().count(), 32 + 1 + 32 + 2 + 5 + 4 + 1);
        let shown = printable(&format!("a{hostile}b"));
        assert!(shown.chars().all(|c| !is_unsafe(c)), "{shown:?}");
        assert_eq!(shown.chars().count(), hostile.chars().count() + 2);
        let block = printable_lines(&format!("a\r\nb\tc{hostile}"));
        assert!(block.starts_with("a\nb\tc"), "{block:?}");
        assert!(
            block
                .chars()
                .all(|c| c == '\n' || c == '\t' || !is_unsafe(c)),
            "{block:?}"
        );
        assert_eq!(printable("plain text, ünïcödé"), "plain text, ünïcödé");
    }

    #[test]
    fn a_terminal_title_sequence_does_not_survive() {
        assert_eq!(printable("x\x1b]0;pwned\x07y"), "x?]0;pwned?y");
        assert_eq!(printable("evil\u{202e}gpj.exe"), "evil?gpj.exe");
    }
}
