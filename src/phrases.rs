//! Fixed phrase lists searched in one pass over a text (Aho-Corasick), instead of one
//! pass per phrase: report texts run to 16 KB and the lists to dozens of phrases, and
//! most texts (spam, not reports) contain none of them, so every phrase was a full pass.

use aho_corasick::AhoCorasick;

/// A list of phrases, matched exactly (byte for byte) anywhere in a text.
pub struct Phrases {
    automaton: AhoCorasick,
}

impl Phrases {
    /// Builds the matcher for `phrases` (lists written in the source: small, fixed).
    pub fn new(phrases: &[&str]) -> Phrases {
        Phrases {
            automaton: AhoCorasick::new(phrases).expect("a phrase list written in the source"),
        }
    }

    /// Whether any phrase occurs in `text`.
    pub fn any_in(&self, text: &str) -> bool {
        self.automaton.is_match(text)
    }

    /// The lowest list index among the phrases that occur in `text` (the first phrase in
    /// list order that is present, wherever it stands in the text).
    pub fn first_in(&self, text: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for m in self.automaton.find_overlapping_iter(text) {
            let index = m.pattern().as_usize();
            if best.is_none_or(|b| index < b) {
                best = Some(index);
                if index == 0 {
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_a_contains_per_phrase() {
        let list = ["undeliverable", "delivery", "not", "deliver"];
        let phrases = Phrases::new(&list);
        for text in [
            "",
            "message not delivered",
            "undeliverable mail",
            "deliverance",
            "nothing",
            "xx",
        ] {
            let expected = list.iter().position(|p| text.contains(p));
            assert_eq!(phrases.first_in(text), expected, "{text}");
            assert_eq!(phrases.any_in(text), expected.is_some(), "{text}");
        }
    }
}
