//! Per-stage cost of `analyze` on one core, next to a mail-parser parse of the same
//! messages measured in the same run: where the time of one message goes. The
//! throughput benchmark measures the whole program; this one says which stage to work
//! on. Messages are the real bounces, backscatter and spam in tests/fixtures/corpus.
//!
//! Run: `cargo bench --bench stages` (rounds from BLOWBACK_BENCH_ROUNDS, default 5).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use blowback::annotate::Annotator;
use blowback::app::Analyzer;
use blowback::config::Config;
use blowback::enrich::EnrichConfig;
use blowback::ingest::{Format, RawMessage};
use blowback::output::{OutputFormat, RecordWriter};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rounds: usize = std::env::var("BLOWBACK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let messages = corpus(&root.join("tests/fixtures/corpus"));
    let bytes: usize = messages.iter().map(|m| m.bytes.len()).sum();
    let mut analyzer = Analyzer::new(Config::default(), HashSet::new(), false, 1_700_000_000);
    let enrich = EnrichConfig {
        data_dir: root.join("data"),
        ..EnrichConfig::default()
    };
    analyzer.annotator = Some(Annotator::local(&enrich));
    let parser = mail_parser::MessageParser::default();

    // Instruction counts (stable on a shared machine): run one stage once under
    // `valgrind --tool=callgrind` with BLOWBACK_BENCH_ONLY=none|baseline|analyze and
    // subtract the `none` run (start-up, reading the corpus and a warm-up pass).
    if let Ok(only) = std::env::var("BLOWBACK_BENCH_ONLY") {
        for m in &messages {
            drop(std::hint::black_box(analyzer.analyze(m)));
        }
        measured_pass(&only, &analyzer, &parser, &messages);
        return;
    }
    // Warm-up: lazily built tables and caches are not what is measured.
    for m in &messages {
        std::hint::black_box(analyzer.analyze(m));
    }
    if let Some(n) = std::env::var("BLOWBACK_BENCH_SLOWEST")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        slowest(&analyzer, &messages, n);
        return;
    }
    let per_message = |seconds: f64| seconds * 1e6 / (messages.len() * rounds) as f64;
    let mut rows: Vec<(&str, f64)> = Vec::new();

    let t = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            std::hint::black_box(parser.parse(&m.bytes).map(|p| p.parts.len()));
        }
    }
    rows.push((
        "baseline: mail-parser parse",
        per_message(t.elapsed().as_secs_f64()),
    ));

    let t = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            std::hint::black_box(analyzer.decode_and_walk(&m.bytes));
        }
    }
    rows.push((
        "bounce decode + Received walk",
        per_message(t.elapsed().as_secs_f64()),
    ));

    let t = Instant::now();
    let mut records = Vec::new();
    for round in 0..rounds {
        for m in &messages {
            let record = analyzer.analyze(m);
            if round == 0 {
                records.push(record);
            }
        }
    }
    rows.push((
        "analyze (all stages, geo)",
        per_message(t.elapsed().as_secs_f64()),
    ));

    let t = Instant::now();
    for _ in 0..rounds {
        let mut writer = RecordWriter::new(Vec::with_capacity(1 << 20), OutputFormat::Ndjson);
        for r in &records {
            writer.write(r).expect("write to memory");
        }
        std::hint::black_box(writer);
    }
    rows.push(("ndjson output", per_message(t.elapsed().as_secs_f64())));

    let base = rows[0].1;
    println!(
        "{} messages ({:.1} MB), {rounds} rounds, one thread\n",
        messages.len(),
        bytes as f64 / 1e6
    );
    println!("| stage | µs/message | × baseline |\n|---|---|---|");
    for (name, us) in rows {
        println!("| {name} | {us:.1} | {:.2} |", us / base);
    }
}

/// The pass an instruction count measures (`--toggle-collect=*measured_pass*` keeps
/// callgrind's profile to it).
#[inline(never)]
fn measured_pass(
    only: &str,
    analyzer: &Analyzer,
    parser: &mail_parser::MessageParser,
    messages: &[RawMessage],
) {
    for m in messages {
        match only {
            "baseline" => drop(std::hint::black_box(parser.parse(&m.bytes))),
            "analyze" => drop(std::hint::black_box(analyzer.analyze(m))),
            _ => {}
        }
    }
}

fn corpus(dir: &Path) -> Vec<RawMessage> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for sub in [
        "bounces",
        "backscatter",
        "spam/phishing_pot",
        "spam/spamassassin",
    ] {
        paths.extend(
            fs::read_dir(dir.join(sub))
                .expect("corpus folder")
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml")),
        );
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).expect("read corpus file");
            RawMessage::new(p.display().to_string(), bytes, Format::Eml, None)
        })
        .collect()
}

/// The slowest messages (set BLOWBACK_BENCH_SLOWEST=N): where a pathological input hides.
fn slowest(analyzer: &Analyzer, messages: &[RawMessage], n: usize) {
    let mut times: Vec<(f64, &str, usize)> = messages
        .iter()
        .map(|m| {
            let t = Instant::now();
            for _ in 0..3 {
                std::hint::black_box(analyzer.analyze(m));
            }
            (
                t.elapsed().as_secs_f64() * 1e6 / 3.0,
                m.source.as_str(),
                m.bytes.len(),
            )
        })
        .collect();
    let total: f64 = times.iter().map(|t| t.0).sum();
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "\nslowest {n} of {} (total {:.0} µs):",
        messages.len(),
        total
    );
    for (us, source, size) in times.iter().take(n) {
        println!(
            "{us:9.0} µs {:5.1}% {size:8} B {source}",
            us * 100.0 / total
        );
    }
}
