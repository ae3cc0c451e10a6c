//! Throughput benchmark (issue 8): builds a corpus of N messages by varying the real
//! bounces, backscatter and spam in tests/fixtures/corpus, then times
//! `blowback analyze --ndjson` over it as a directory of .eml files, as an mbox and as a
//! Maildir, next to a baseline measured in the same run: this program in `--parse-only`
//! mode, which only reads each message and parses it with mail-parser (the floor for
//! this design). Reports messages/s, MB/s and peak RSS, and writes BENCHMARKS.md.
//!
//! Run: `cargo bench --bench throughput` (N from BLOWBACK_BENCH_N, default 100000;
//! BLOWBACK_BENCH_SIZES="10000,100000" measures several sizes; each program runs
//! BLOWBACK_BENCH_RUNS times, default 3, and the fastest run counts).

use std::fs;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--parse-only") {
        parse_only(&args[pos + 1], &args[pos + 2]);
        return;
    }
    let sizes: Vec<usize> = std::env::var("BLOWBACK_BENCH_SIZES")
        .or_else(|_| std::env::var("BLOWBACK_BENCH_N"))
        .unwrap_or_else(|_| "100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-throughput");
    let seeds = seed_messages(&root.join("tests/fixtures/corpus"));
    let mut report = String::new();
    for &n in &sizes {
        let corpus = build_corpus(&work.join(format!("n{n}")), &seeds, n);
        report.push_str(&measure_size(n, &corpus));
    }
    let text = render_report(&report);
    println!("{text}");
    fs::write(root.join("BENCHMARKS.md"), text).expect("write BENCHMARKS.md");
}

/// The three shapes of the same corpus.
struct Corpus {
    dir: PathBuf,
    mbox: PathBuf,
    maildir: PathBuf,
    bytes: u64,
}

fn seed_messages(corpus: &Path) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for sub in [
        "bounces",
        "backscatter",
        "spam/phishing_pot",
        "spam/spamassassin",
    ] {
        let mut paths: Vec<PathBuf> = fs::read_dir(corpus.join(sub))
            .expect("corpus folder")
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        paths.sort();
        seeds.extend(paths.iter().map(|p| fs::read(p).unwrap()));
    }
    seeds
}

/// Message `i`: a seed with a new Message-ID, a varied IP and date, and a varied body line.
fn vary(seed: &[u8], i: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(seed);
    let mut out = text.replacen("Message-ID: <", &format!("Message-ID: <bench{i}."), 1);
    out = out.replacen("Message-Id: <", &format!("Message-Id: <bench{i}."), 1);
    if let Some(start) = out.find("[198.51.100.").or_else(|| out.find("[203.0.113.")) {
        let end = out[start..].find(']').map(|e| start + e).unwrap_or(start);
        out.replace_range(start..end, &format!("[198.51.100.{}", i % 254 + 1));
    }
    out = out.replacen(" 2019 ", &format!(" {} ", 2010 + i % 15), 1);
    out.push_str(&format!("\nbench variation {i}\n"));
    out.into_bytes()
}

fn build_corpus(dir: &Path, seeds: &[Vec<u8>], n: usize) -> Corpus {
    let corpus = Corpus {
        dir: dir.join("eml"),
        mbox: dir.join("all.mbox"),
        maildir: dir.join("Maildir"),
        bytes: 0,
    };
    let _ = fs::remove_dir_all(dir);
    for d in [
        &corpus.dir,
        &corpus.maildir.join("cur"),
        &corpus.maildir.join("new"),
    ] {
        fs::create_dir_all(d).unwrap();
    }
    let mut mbox = std::io::BufWriter::new(fs::File::create(&corpus.mbox).unwrap());
    let mut bytes = 0u64;
    for i in 0..n {
        let message = vary(&seeds[i % seeds.len()], i);
        bytes += message.len() as u64;
        fs::write(corpus.dir.join(format!("{i:07}.eml")), &message).unwrap();
        fs::write(
            corpus
                .maildir
                .join(format!("cur/{}.M{i}P1.bench:2,S", 1_600_000_000 + i)),
            &message,
        )
        .unwrap();
        mbox.write_all(b"From MAILER-DAEMON Fri Jul  5 10:00:00 2019\n")
            .unwrap();
        for line in message.split_inclusive(|&b| b == b'\n') {
            let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
            if line[unquoted..].starts_with(b"From ") {
                mbox.write_all(b">").unwrap();
            }
            mbox.write_all(line).unwrap();
        }
        mbox.write_all(b"\n").unwrap();
    }
    mbox.flush().unwrap();
    Corpus { bytes, ..corpus }
}

/// Wall time (s) and peak RSS (KiB) of one child process, measured by GNU time
/// (`/usr/bin/time`, Debian package `time`): the child's own peak, not this process's
/// (a forked child inherits its parent's high-water mark in `ru_maxrss`).
fn timed(command: Command) -> (f64, i64) {
    let out = std::env::temp_dir().join(format!("blowback-bench-time-{}", std::process::id()));
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-o")
        .arg(&out)
        .args(["-f", "%e %M"])
        .arg(command.get_program())
        .args(command.get_args());
    let status = wrapped
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run /usr/bin/time");
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "child failed: {status}"
    );
    let text = fs::read_to_string(&out).expect("time output");
    let last = text.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    let secs: f64 = fields.next().and_then(|s| s.parse().ok()).expect("elapsed");
    let rss: i64 = fields.next().and_then(|s| s.parse().ok()).expect("max rss");
    (secs, rss)
}

fn measure_size(n: usize, corpus: &Corpus) -> String {
    let blowback = env!("CARGO_BIN_EXE_blowback");
    let me = std::env::current_exe().unwrap();
    let mb = corpus.bytes as f64 / 1e6;
    let mut rows = format!(
        "\n### N = {n} messages ({mb:.1} MB)\n\n| input | program | seconds | messages/s | MB/s | peak RSS MB | vs baseline |\n|---|---|---|---|---|---|---|\n"
    );
    for (label, path, kind) in [
        ("directory of .eml", &corpus.dir, "dir"),
        ("mbox", &corpus.mbox, "mbox"),
        ("Maildir", &corpus.maildir, "maildir"),
    ] {
        let base = || {
            let mut base = Command::new(&me);
            base.args(["--parse-only", kind]).arg(path);
            base
        };
        let run = || {
            let mut run = Command::new(blowback);
            run.args(["analyze", "--ndjson", "--quiet"]).arg(path);
            run
        };
        let (mut base_s, mut base_rss, mut run_s, mut run_rss) = (f64::MAX, 0, f64::MAX, 0);
        // Interleaved, so that a busy spell on the shared machine hits both alike.
        for _ in 0..repetitions() {
            let (s, rss) = timed(base());
            (base_s, base_rss) = (base_s.min(s), base_rss.max(rss));
            let (s, rss) = timed(run());
            (run_s, run_rss) = (run_s.min(s), run_rss.max(rss));
        }
        for (program, secs, rss, ratio) in [
            (
                "baseline: mail-parser only",
                base_s,
                base_rss,
                String::from("1.00"),
            ),
            (
                "blowback analyze --ndjson",
                run_s,
                run_rss,
                format!("{:.2}", base_s / run_s),
            ),
        ] {
            rows.push_str(&format!(
                "| {label} | {program} | {secs:.2} | {:.0} | {:.1} | {:.1} | {ratio} |\n",
                n as f64 / secs,
                mb / secs,
                rss as f64 / 1024.0,
            ));
        }
        eprintln!("N={n} {label}: baseline {base_s:.2}s, blowback {run_s:.2}s");
    }
    rows.push_str(&incremental(n, corpus));
    rows
}

/// Times each program runs (BLOWBACK_BENCH_RUNS, default 3): the fastest run counts, being
/// the one least disturbed by other work on the machine; peak RSS is the largest seen.
fn repetitions() -> usize {
    std::env::var("BLOWBACK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1)
}

/// `analyze --db` twice over the same Maildir: the second run only checks the store.
fn incremental(n: usize, corpus: &Corpus) -> String {
    let blowback = env!("CARGO_BIN_EXE_blowback");
    let db = corpus.dir.with_file_name("store.db");
    let _ = fs::remove_file(&db);
    let run = || {
        let mut command = Command::new(blowback);
        command
            .args(["analyze", "--ndjson", "--quiet", "--db"])
            .arg(&db)
            .arg(&corpus.maildir);
        timed(command)
    };
    let (first, first_rss) = run();
    let (second, second_rss) = run();
    eprintln!("N={n} incremental: first {first:.2}s, second {second:.2}s");
    format!(
        "\nIncremental (`analyze --db store.db Maildir`, run twice): first run {first:.2} s \
(peak RSS {:.1} MB), second run {second:.2} s (peak RSS {:.1} MB): the second takes \
{:.1}% of the first.\n",
        first_rss as f64 / 1024.0,
        second_rss as f64 / 1024.0,
        100.0 * second / first
    )
}

fn render_report(rows: &str) -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let runs = repetitions();
    format!(
        "# Benchmarks\n\nWritten by `cargo bench --bench throughput` ({date}; {cores} cores, {cpu}).\n\
The corpus varies the real messages in tests/fixtures/corpus (new Message-IDs, IPs, dates and a body line).\n\
`vs baseline` is blowback's messages/s divided by the baseline's on the same input in the same run\n\
(baseline = read each message and parse it with mail-parser, nothing else). The machine is shared:\n\
compare ratios, not absolute figures. Each program ran {runs} times, interleaved; the table shows the\n\
fastest run of each (BLOWBACK_BENCH_RUNS) and the largest peak RSS.\n\nCommand: `BLOWBACK_BENCH_SIZES=10000,100000 cargo bench --bench throughput`\n{rows}"
    )
}

/// Baseline: read every message of `path` and parse it with mail-parser, nothing else.
fn parse_only(kind: &str, path: &str) {
    let parser = mail_parser::MessageParser::default();
    let mut parts = 0usize;
    let mut parse = |bytes: &[u8]| {
        parts += parser.parse(bytes).map(|m| m.parts.len()).unwrap_or(0);
    };
    match kind {
        "mbox" => {
            let reader = BufReader::new(fs::File::open(path).unwrap());
            for message in mail_parser::mailbox::mbox::MessageIterator::new(reader) {
                parse(message.unwrap().contents());
            }
        }
        _ => {
            let dir = if kind == "maildir" {
                Path::new(path).join("cur")
            } else {
                PathBuf::from(path)
            };
            let mut files: Vec<PathBuf> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for file in files {
                parse(&fs::read(file).unwrap());
            }
        }
    }
    std::hint::black_box(parts);
}
