//! Linear-time check of the whole analysis (bounce stage, Received walk, verdict,
//! contacts): one long line of each ASCII punctuation character, and of the shapes of
//! the contacts bench (digits, dots, `a.` labels, `@`s, phone-like runs), as the body of
//! a 7bit, a quoted-printable and a base64 text part, grown from 100 KB to 10 MB.
//! Prints the time per byte at each size and its growth from the smallest size to the
//! largest: in linear time it stays near 1 (a quadratic path multiplies it by 10 per
//! tenfold size).
//! Run with `cargo bench --bench linear` (`-- --quick` stops at 1 MB).

use std::collections::HashSet;
use std::time::Instant;

use blowback::app::Analyzer;
use blowback::config::Config;
use blowback::ingest::{Format, RawMessage};

/// The shapes besides single punctuation characters (those of `benches/contacts.rs`).
const SHAPES: [(&str, &str); 5] = [
    ("digits", "0123456789"),
    ("dots", "."),
    ("a. labels", "a."),
    ("at signs", "a@"),
    ("plus digits", "+1 415 "),
];

const ENCODINGS: [&str; 3] = ["7bit", "quoted-printable", "base64"];

/// A size whose analysis takes longer than this is the last one tried for its shape.
const GIVE_UP_SECONDS: f64 = 20.0;

fn message(unit: &str, size: usize, encoding: &str) -> Vec<u8> {
    let line = unit.repeat(size / unit.len());
    let body = match encoding {
        "base64" => blowback::render::mime::base64_lines(line.as_bytes()).into_bytes(),
        _ => line.into_bytes(),
    };
    let mut m = format!(
        "From: a@b.example\r\nTo: victim@victim-domain.net\r\nSubject: x\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\
         Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(&body);
    m.extend_from_slice(b"\r\n--b1--\r\n");
    m
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[usize] = if quick {
        &[100_000, 1_000_000]
    } else {
        &[100_000, 1_000_000, 10_000_000]
    };
    let analyzer = Analyzer::new(Config::default(), HashSet::new(), false, 1_700_000_000);
    // The first analysis builds lazy tables (phone metadata, suffix lists): not timed.
    let warm = RawMessage::new("warm".into(), message("x", 1000, "7bit"), Format::Eml, None);
    analyzer.analyze(&warm);
    let punctuation: Vec<(String, String)> = (b'!'..=b'~')
        .filter(u8::is_ascii_punctuation)
        .map(|b| (format!("'{}'", b as char), (b as char).to_string()))
        .collect();
    let shapes = punctuation.into_iter().chain(
        SHAPES
            .iter()
            .map(|(name, unit)| (name.to_string(), unit.to_string())),
    );
    print!("{:<12} {:<17}", "line of", "encoding");
    for size in sizes {
        print!(" {:>10}", format!("{} KB", size / 1000));
    }
    println!(" {:>8}", "growth");
    let mut worst = 0f64;
    for (name, unit) in shapes {
        for encoding in ENCODINGS {
            print!("{name:<12} {encoding:<17}");
            let mut per_byte = Vec::new();
            for &size in sizes {
                let bytes = message(&unit, size, encoding);
                let raw = RawMessage::new("bench".into(), bytes, Format::Eml, None);
                let start = Instant::now();
                let record = analyzer.analyze(&raw);
                let took = start.elapsed().as_secs_f64();
                assert!(
                    record.error.is_none(),
                    "{name} {encoding}: {:?}",
                    record.error
                );
                let ns = took * 1e9 / raw.bytes.len() as f64;
                print!(" {:>7.1} ns", ns);
                per_byte.push(ns);
                if took > GIVE_UP_SECONDS {
                    print!(" (stopped: {took:.0} s)");
                    break;
                }
            }
            // Growth of the time per byte from the smallest to the largest size: about
            // 1 when linear, the size ratio (10 per step) when quadratic.
            let ratio = per_byte.last().unwrap_or(&0.0) / per_byte[0];
            worst = worst.max(ratio);
            println!(" {ratio:>8.2}");
        }
    }
    println!("largest growth of the time per byte: {worst:.2}");
}
