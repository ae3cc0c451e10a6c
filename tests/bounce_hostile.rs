//! Hostile input for the bounce stage: every case must give a report, without panic and
//! in bounded time (deep nesting, a 50 MB header block, NUL bytes, truncated MIME, bogus
//! charsets, invalid UTF-8, empty and one-byte inputs).

use std::time::{Duration, Instant};

use blowback::bounce::{Kind, decode};

/// Generous: debug builds on a shared machine. Linear work finishes far below this.
const LIMIT: Duration = Duration::from_secs(30);

fn timed(bytes: &[u8]) -> blowback::bounce::BounceReport {
    let t = Instant::now();
    let r = decode(bytes);
    assert!(t.elapsed() < LIMIT, "took {:?}", t.elapsed());
    if let Some((s, e)) = r.original.as_ref().and_then(|o| o.range) {
        assert_eq!(&bytes[s..e], &r.original.as_ref().unwrap().bytes[..]);
    }
    r
}

#[test]
fn tiny_inputs() {
    for b in [
        &b""[..],
        b"\n",
        b"\r",
        b"\r\n\r\n",
        b":",
        b"From ",
        b"--",
        b"\0",
        b"a: b",
        b"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--",
    ] {
        timed(b);
    }
}

#[test]
fn ten_thousand_nested_multiparts() {
    let depth = 10_000;
    let mut m = String::from("From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n");
    for i in 0..depth {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    m.push_str("Content-Type: text/plain\n\nhello\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--b{i}--\n"));
    }
    timed(m.as_bytes());
}

#[test]
fn ten_thousand_nested_bounces() {
    // Built as prefixes + core + suffixes: linear, unlike wrapping a growing string.
    let (mut head, mut tail) = (String::new(), Vec::new());
    for i in 0..10_000 {
        head.push_str(&format!(
            "From: MAILER-DAEMON@x.example\nReturn-Path: <>\nMessage-ID: <b{i}@x>\nSubject: Undelivered Mail\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"z{i}\"\n\n--z{i}\n\
Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n\n\
--z{i}\nContent-Type: message/rfc822\n\n"
        ));
        tail.push(format!("\n--z{i}--\n"));
    }
    let m = head + "Message-ID: <core@x>\nSubject: core\n\ncore\n" + &tail.concat();
    let r = timed(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert!(r.original.as_ref().unwrap().depth <= blowback::bounce::MAX_REPORT_DEPTH);
}

#[test]
fn deep_message_rfc822_nesting_without_reports() {
    let mut m = String::from("Subject: core\n\ncore\n");
    for _ in 0..2_000 {
        m = format!("Subject: wrap\nContent-Type: message/rfc822\n\n{m}");
    }
    timed(m.as_bytes());
}

#[test]
fn fifty_megabyte_header_block() {
    let mut m = Vec::with_capacity(52 << 20);
    m.extend_from_slice(b"From: MAILER-DAEMON@x.example\nSubject: Undelivered\nX-Long: ");
    m.resize(m.len() + (25 << 20), b'a');
    m.extend_from_slice(b"\n");
    while m.len() < 50 << 20 {
        m.extend_from_slice(b"X-Many: value value value value\n");
    }
    m.extend_from_slice(b"\nbody\n");
    timed(&m);
}

#[test]
fn huge_inline_region_and_many_boundaries() {
    let mut m = String::from(
        "From: MAILER-DAEMON@x.example\nSubject: failure notice\nContent-Type: multipart/mixed; boundary=b\n\n",
    );
    for _ in 0..200_000 {
        m.push_str("--b\n\nReceived: x\n");
    }
    timed(m.as_bytes());
    let lines = "Received: from a by b\n".repeat(500_000);
    timed(
        format!("From: MAILER-DAEMON@x\nSubject: failure notice\n\nfailed\n\n{lines}").as_bytes(),
    );
}

#[test]
fn nul_bytes_invalid_utf8_and_bogus_charsets() {
    let mut m = b"From: MAILER-DAEMON@x\0.example\nSubject: \xff\xfe Undelivered \0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=q\n\n--q\n\
Content-Type: text/plain; charset=x-bogus-charset-\xff\n\n\0\0\xc3\x28 user unknown\n--q\n\
Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n!!!!****\xff\xfe\n--q\n"
        .to_vec();
    timed(&m);
    m.extend(std::iter::repeat_n(0u8, 100_000));
    timed(&m);
    let qp = b"From: MAILER-DAEMON@x\nSubject: failure notice\nContent-Type: text/plain; charset=utf-7\nContent-Transfer-Encoding: quoted-printable\n\n=\n=Z=\r=4\nReceived: x=\n";
    timed(qp);
}

#[test]
fn truncated_mime_everywhere() {
    let full = "From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n\
This is the mail system.\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n\
Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n\n--B\nContent-Type: message/rfc822\n\n\
Received: from a ([192.0.2.1]) by b\nMessage-ID: <m@a>\nContent-Type: multipart/alternative; boundary=\"I\"\n\n\
--I\nContent-Type: text/plain\n\nhello\n--I\nContent-Type: text/html\n\n<p>hello</p>\n--I--\n\n--B--\n";
    for cut in 0..full.len() {
        timed(&full.as_bytes()[..cut]);
    }
    let r = timed(&full.as_bytes()[..full.find("--I\nContent-Type: text/html").unwrap()]);
    let o = r.original.unwrap();
    assert_eq!(o.message_id.as_deref(), Some("<m@a>"));
    assert_eq!(o.completeness, blowback::bounce::Completeness::Partial);
}

#[test]
fn random_bytes_never_panic() {
    // A small xorshift generator: deterministic, no dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"abc:;= \r\n\t-<>@\"\0\xff/";
    let words: [&[u8]; 8] = [
        b"Content-Type: multipart/mixed; boundary=z\n",
        b"--z\n",
        b"--z--\n",
        b"Content-Type: message/rfc822\n",
        b"\n",
        b"Received: x\n",
        b"Content-Transfer-Encoding: base64\n",
        b"From: MAILER-DAEMON@x\n",
    ];
    for _ in 0..300 {
        let mut m = Vec::new();
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                m.extend_from_slice(words[(x >> 8) as usize % words.len()]);
            } else {
                m.push(alphabet[(x >> 16) as usize % alphabet.len()]);
            }
        }
        timed(&m);
    }
}

/// Truncations, byte flips and deleted spans of every corpus message (about 8,000
/// variants): no panic, ranges always point at the carved bytes. Slow in debug builds.
#[test]
#[ignore = "slow (about 40 s in debug): cargo test --test bounce_hostile -- --ignored"]
fn mutated_corpus_never_panics() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/");
    let mut x: u64 = 88_172_645_463_325_252;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for dir in [
        "bounces",
        "backscatter",
        "spam/phishing_pot",
        "spam/spamassassin",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{root}{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        for p in files {
            let original = std::fs::read(&p).unwrap();
            for k in 0..12 {
                let mut m = original.clone();
                match k % 3 {
                    0 => m.truncate(next() as usize % (m.len() + 1)),
                    1 => {
                        for _ in 0..20 {
                            let v = next();
                            if let Some(b) = m.get_mut(v as usize % original.len().max(1)) {
                                *b = (v >> 32) as u8;
                            }
                        }
                    }
                    _ => {
                        let (i, j) = (
                            next() as usize % (m.len() + 1),
                            next() as usize % (m.len() + 1),
                        );
                        m.drain(i.min(j)..i.max(j));
                    }
                }
                timed(&m);
            }
        }
    }
}
