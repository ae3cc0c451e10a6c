//! Linear-time check of the contacts stage: plain-text and HTML bodies of 6.25, 12.5 and
//! 25 MB of spam-like text, and 256 KB / 512 KB / 1 MB single lines of digits, dots, `a.` labels and `@`s.
//! Prints MB/s per size: in linear time the rate stays flat as the input doubles.
//! Run with `cargo bench --bench contacts`.

use std::time::{Duration, Instant};

use blowback::contacts::{ContactContext, extract};

const PARAGRAPH: &str = "Dear friend, visit https://shop.evil-pharma.ru/deal?id=7&x=1 or www.cheap-meds.top today!\n\
Call +1 415 867 5309 or WhatsApp: +44 7911 123456, e-mail sales@evil-pharma.ru, Skype: boss.evil77.\n\
Order #4060-6106 dated 2023-04-05, price $1,234.56. hxxp://evil[.]example.ru/x and boss[at]evil dot ru.\n\
Unsubscribe: https://evil-pharma.ru/unsubscribe?u=123 <- version 1.2.3, invoice.pdf, e.g. i.e.\n";

const HTML_PARAGRAPH: &str = "<p style=\"color:#ff0000\">Dear friend, <a href=\"https://shop.evil-pharma.ru/deal?id=7&amp;x=1\">visit</a> \
<img src=\"https://img.evil-pharma.ru/x.png\" alt=\"WhatsApp\"> Call <b>+1 415 867 5309</b> or \
<a href=\"mailto:sales@evil-pharma.ru\">mail us</a>.<br>Order #4060-6106, $1,234.56</p>\n";

fn message(body: &str) -> Vec<u8> {
    with_type(body, "text/plain")
}

fn with_type(body: &str, content_type: &str) -> Vec<u8> {
    let mut m = format!("From: a@b.example\r\nTo: victim@victim-domain.net\r\nSubject: x\r\nContent-Type: {content_type}; charset=utf-8\r\n\r\n").into_bytes();
    m.extend_from_slice(body.as_bytes());
    m
}

fn time(label: &str, m: &[u8]) -> Duration {
    let ctx = ContactContext::default();
    let start = Instant::now();
    let found = extract(m, &ctx);
    let took = start.elapsed();
    let mb = m.len() as f64 / 1_048_576.0;
    println!(
        "{label:<28} {mb:>7.2} MB {:>9.3} s {:>8.2} MB/s  {} contacts",
        took.as_secs_f64(),
        mb / took.as_secs_f64(),
        found.len()
    );
    took
}

fn main() {
    for mb in [6.25_f64, 12.5, 25.0] {
        let target = (mb * 1_048_576.0) as usize;
        let body = PARAGRAPH.repeat(target / PARAGRAPH.len() + 1);
        time(&format!("spam body {mb} MB"), &message(&body[..target]));
    }
    for mb in [6.25_f64, 12.5, 25.0] {
        let target = (mb * 1_048_576.0) as usize;
        let body = HTML_PARAGRAPH.repeat(target / HTML_PARAGRAPH.len() + 1);
        time(
            &format!("html body {mb} MB"),
            &with_type(&body[..target], "text/html"),
        );
    }
    for (name, unit) in [
        ("digits", "0123456789"),
        ("dots", "."),
        ("a. labels", "a."),
        ("at signs", "a@"),
        ("plus digits", "+1 415 "),
    ] {
        for kb in [256, 512, 1024] {
            let line = unit.repeat(kb * 1024 / unit.len());
            time(&format!("1 line of {name} {kb} KB"), &message(&line));
        }
    }
}
