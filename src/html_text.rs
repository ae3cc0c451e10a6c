//! mail-parser's `html_to_text` (the text the bounce stage classifies), with the same
//! result and less work per byte.
//!
//! Classification rules were written and tuned against mail-parser's rendering, so the
//! text must stay exactly its text: this is its state machine, step for step, with two
//! shortcuts. Runs of bytes that no state reacts to (anything but `<`, `>`, `/`, `!`,
//! blanks, `&` and `;`) are taken at once, as are the bytes inside a comment up to the
//! next `-` or `>`; and a word is copied as the `&str` it already is instead of being
//! checked as UTF-8 again. Entities still go through mail-parser's own `add_html_token`.
//! A test compares the two on the corpus and on generated markup.
//!
//! The state machine is mail-parser's (Stalwart Labs, Apache-2.0 OR MIT).

use mail_parser::decoders::html::add_html_token;

/// Bytes some state of the machine reacts to; every other byte only extends a word.
const fn reacting_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let bytes = b"<>/! \t\r\n&;";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

static REACTS: [bool; 256] = reacting_bytes();

/// The visible text of `input`, as `mail_parser::decoders::html::html_to_text` gives it.
pub fn html_to_text(input: &str) -> String {
    let mut result = String::with_capacity(input.len());
    let bytes = input.as_bytes();

    let mut in_tag = false;
    let mut in_head = false;
    let mut in_style = false;
    let mut in_script = false;
    let mut in_template = false;
    let mut in_comment = false;

    let mut is_token_start = true;
    let mut is_after_space = false;
    let mut is_tag_close = false;
    let mut is_new_line = true;

    let mut token_start = 0;
    let mut token_end = 0;

    let mut tag_token_pos = 0;
    let mut comment_pos = 0;

    // A word of the text, pushed as mail-parser's `add_html_token` would push it.
    let push = |result: &mut String, start: usize, end: usize, add_space: bool| {
        let token = &input[start..end];
        if token.len() >= 2 && token.starts_with('&') && token.ends_with(';') {
            add_html_token(result, token.as_bytes(), add_space);
        } else {
            if add_space {
                result.push(' ');
            }
            result.push_str(token);
        }
    };

    let mut pos = 0;
    while pos < bytes.len() {
        let ch = bytes[pos];
        if in_comment {
            match ch {
                b'-' => comment_pos += 1,
                b'>' if comment_pos == 2 => {
                    comment_pos = 0;
                    in_comment = false;
                    in_tag = false;
                    is_token_start = true;
                }
                _ => {
                    // Every byte up to the next `-` or `>` resets the count alike.
                    comment_pos = 0;
                    pos += 1;
                    pos += memchr::memchr2(b'-', b'>', &bytes[pos..]).unwrap_or(bytes.len() - pos);
                    continue;
                }
            }
            pos += 1;
            continue;
        }
        if !REACTS[usize::from(ch)] {
            // A run of word bytes: the first may start a word, the last ends it.
            let run = bytes[pos..]
                .iter()
                .position(|&b| REACTS[usize::from(b)])
                .unwrap_or(bytes.len() - pos);
            if is_token_start {
                token_start = pos;
                is_token_start = false;
                if in_tag {
                    tag_token_pos += 1;
                }
            }
            token_end = pos + run - 1;
            pos += run;
            continue;
        }
        match ch {
            b'<' => {
                if !in_tag && !in_head && !in_style && !in_script && !in_template && !is_token_start
                {
                    push(&mut result, token_start, token_end + 1, is_after_space);
                    is_after_space = false;
                }
                tag_token_pos = 0;
                in_tag = true;
                is_token_start = true;
                is_tag_close = false;
                pos += 1;
                continue;
            }
            b'>' if in_tag => {
                if tag_token_pos == 1 {
                    match bytes.get(token_start..token_end + 1) {
                        Some(tag)
                            if tag.eq_ignore_ascii_case(b"br")
                                || (tag.eq_ignore_ascii_case(b"p") && is_tag_close) =>
                        {
                            result.push('\n');
                            is_after_space = false;
                            is_new_line = true;
                        }
                        Some(tag) if tag.eq_ignore_ascii_case(b"head") => in_head = !is_tag_close,
                        Some(tag) if tag.eq_ignore_ascii_case(b"style") => in_style = !is_tag_close,
                        Some(tag) if tag.eq_ignore_ascii_case(b"script") => {
                            in_script = !is_tag_close
                        }
                        Some(tag) if tag.eq_ignore_ascii_case(b"template") => {
                            in_template = !is_tag_close
                        }
                        _ => (),
                    }
                }
                in_tag = false;
                is_token_start = true;
                pos += 1;
                continue;
            }
            b'/' if in_tag => {
                if tag_token_pos == 0 {
                    is_tag_close = true;
                }
                pos += 1;
                continue;
            }
            b'!' if in_tag && tag_token_pos == 0 => {
                if let Some(b"--") = bytes.get(pos + 1..pos + 3) {
                    in_comment = true;
                    pos += 1;
                    continue;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                if !in_tag && !in_head && !in_style && !in_script && !in_template {
                    if !is_token_start {
                        push(
                            &mut result,
                            token_start,
                            token_end + 1,
                            is_after_space && !is_new_line,
                        );
                        is_new_line = false;
                    }
                    is_after_space = true;
                }
                is_token_start = true;
                pos += 1;
                continue;
            }
            b'&' if !in_tag && !is_token_start && !in_head => {
                if in_style || in_script || in_template {
                    pos += 1;
                    continue;
                }
                push(
                    &mut result,
                    token_start,
                    token_end + 1,
                    is_after_space && !is_new_line,
                );
                is_new_line = false;
                is_token_start = true;
                is_after_space = false;
            }
            b';' if !in_tag && !is_token_start && !in_head => {
                if in_style || in_script || in_template {
                    pos += 1;
                    continue;
                }
                push(
                    &mut result,
                    token_start,
                    pos + 1,
                    is_after_space && !is_new_line,
                );
                is_token_start = true;
                is_after_space = false;
                is_new_line = false;
                pos += 1;
                continue;
            }
            _ => (),
        }
        if is_token_start {
            token_start = pos;
            is_token_start = false;
            if in_tag {
                tag_token_pos += 1;
            }
        }
        token_end = pos;
        pos += 1;
    }

    if !in_tag && !is_token_start && !in_head && !in_style && !in_script && !in_template {
        push(
            &mut result,
            token_start,
            token_end + 1,
            is_after_space && !is_new_line,
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(input: &str) {
        assert_eq!(
            html_to_text(input),
            mail_parser::decoders::html::html_to_text(input),
            "{input:?}"
        );
    }

    #[test]
    fn renders_like_mail_parser() {
        for input in [
            "",
            "plain words only",
            "<p>Hello &amp; welcome&nbsp;there</p><br>next",
            "<html><head><title>t</title></head><body>A&#65;&#x42; c;d &bogus; e</body></html>",
            "<style>p{}</style><script>x<y</script><template>t</template>after",
            "<!-- a comment -- still > in --> text <!---->x<!- not ->y",
            "a<b>c</b>d <P>para</p> &lt;tag&gt; Grüße&ouml; 日本語 <br/>end",
            "< > / ! ; & &; &amp &#; &#x; &#99999999; trailing <",
            "word&word;more;\r\n\tnext   spaced <a href=\"x\">link</a>",
        ] {
            same(input);
        }
    }

    #[test]
    fn renders_generated_markup_like_mail_parser() {
        let pieces = [
            "<", ">", "/", "!", "--", "-", " ", "\t", "\r\n", "\n", "&", ";", "&amp;", "&#65;",
            "&#x41;", "&nbsp;", "p", "br", "head", "style", "script", "template", "<!--", "-->",
            "ö", "日", "word", "A", "=", "\"",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as usize
        };
        for _ in 0..30_000 {
            let len = next() % 40;
            let input: String = (0..len).map(|_| pieces[next() % pieces.len()]).collect();
            same(&input);
        }
    }

    #[test]
    fn renders_the_corpus_like_mail_parser() {
        for (_, bytes) in crate::test_corpus::messages() {
            // The whole message as markup: headers, MIME and HTML parts alike.
            same(&String::from_utf8_lossy(&bytes));
        }
    }
}
