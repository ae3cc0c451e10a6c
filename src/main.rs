//! The `blowback` binary: parses the command line, resolves the configuration, runs
//! the command and maps the outcome to an exit code (0 all analysed, 1 some inputs
//! failed, 2 usage or configuration error).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use blowback::annotate::Annotator;
use blowback::app::{Analyzer, read_outbound_log};
use blowback::cli::{
    AnalyzeArgs, Cli, Command, EnrichArgs, EvidenceArgs, ExplainArgs, LookupArgs, ReportArgs,
    ReviewArgs, SendArgs, VerifyArgs,
};
use blowback::cli::{FetchArgs, NoticeArgs, SinkArgs};
use blowback::config::{Config, EnrichOverrides};
use blowback::enrich::Enricher;
use blowback::ingest::{Inputs, Item, total_size};
use blowback::output::printable;
use blowback::output::{OutputFormat, RecordWriter};
use blowback::store::{Recovery, Store};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// mimalloc: many threads allocate and free message-sized buffers; glibc's per-thread
/// arenas let the peak grow with the run, mimalloc keeps it flat (see BENCHMARKS.md).
/// Built without transparent huge pages (`no_thp`): memory it hands back and takes again
/// would otherwise be faulted in, and zeroed, 2 MB at a time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for usage and configuration errors.
const EXIT_USAGE: u8 = 2;
/// Exit code when some inputs failed.
const EXIT_SOME_FAILED: u8 = 1;

/// An error that is the user's to fix (configuration, usage), not a failed input.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("blowback: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_SOME_FAILED)
            }
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (config, _) =
        Config::discover(cli.config.as_deref()).map_err(|err| UsageError(err.to_string()))?;
    match cli.command {
        Command::Analyze(args) => analyze(config, args, cli.quiet),
        Command::Explain(args) => explain(config, args),
        Command::Lookup(args) => lookup(config, args),
        Command::Evidence(args) => evidence(config, args),
        Command::Verify(args) => verify(args),
        Command::Report(args) => report(config, args, cli.quiet),
        Command::Review(args) => review(args),
        Command::Send(args) => send(config, args),
        Command::Sink(args) => sink(config, args),
        Command::Fetch(args) => fetch(config, args),
        Command::Notice(args) => notice(config, args),
    }
}

fn analyzer(config: Config, with_hops: bool) -> anyhow::Result<Analyzer> {
    let outbound_ids = match &config.outbound_log {
        Some(path) => read_outbound_log(path).map_err(UsageError)?,
        None => Default::default(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(Analyzer::new(config, outbound_ids, with_hops, now))
}

fn analyze(config: Config, args: AnalyzeArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = match (args.ndjson, args.json, args.csv) {
        (true, _, _) => OutputFormat::Ndjson,
        (_, true, _) => OutputFormat::Json,
        (_, _, true) => OutputFormat::Csv,
        _ => OutputFormat::Table,
    };
    let progress = progress_bar(&args.input.inputs, &config, quiet);
    let mut store = match &args.db {
        Some(path) => Some(Store::open(path).map_err(|err| UsageError(err.to_string()))?),
        None => None,
    };
    let mut inputs = Inputs::new(&args.input.inputs, args.input.format, &config.limits)
        .following_links(args.input.follow);
    if let Some(store) = &store {
        inputs = inputs.with_known_files(store.known_files()?);
    }
    // One SQLite file holds both the case store and the lookup cache when --db is given.
    let mut enrich_overrides = overrides(&args.enrich);
    if enrich_overrides.cache.is_none() && config.enrich.cache.is_none() {
        enrich_overrides.cache = args.db.clone();
    }
    let enrich = config.enrich.resolve(&enrich_overrides);
    let mut analyzer = analyzer(config, args.hops)?;
    analyzer.annotator = Some(if args.resolve {
        Annotator::resolving(enrich).map_err(|err| UsageError(format!("enrichment: {err}")))?
    } else {
        Annotator::local(&enrich)
    });
    // Records are written whole, one write each (the writer buffers them), so stdout
    // is not buffered again.
    let mut writer = RecordWriter::new(io::stdout().lock(), format)
        .with_file(blowback::output::OutputFile::stdout());
    if let Some(store) = &store {
        match store.recover_output()? {
            Recovery::Nothing | Recovery::AlreadyOut => {}
            Recovery::Completed { path, appended } => eprintln!(
                "blowback: completed {} with the last {appended} bytes an interrupted run had not written",
                printable(&path)
            ),
            Recovery::Replay(lines) => {
                eprintln!(
                    "blowback: writing the last records of an interrupted run first (its output could not be checked)"
                );
                writer.write_raw(&lines).context("writing results")?;
            }
        }
    }
    let mut count = 0u64;
    let analyzer = std::sync::Arc::new(analyzer);
    let summary = analyzer.run(
        inputs,
        &mut writer,
        store.as_mut(),
        args.include_known,
        |record| {
            count += 1;
            progress.inc(record.size as u64);
            progress.set_message(format!("{count} messages"));
        },
    )?;
    progress.finish_and_clear();
    drop(writer.finish().context("writing results")?);
    // --quiet hides the progress bar only: the summary names what failed or was
    // passed over, which must never vanish silently.
    summary.write(io::stderr().lock())?;
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar on stderr for a terminal (by bytes, so it has an ETA), hidden when
/// stderr is not a terminal or with `--quiet`.
fn progress_bar(inputs: &[String], config: &Config, quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total_size(inputs, config.limits.max_dir_depth) {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{msg:>16} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("valid progress template"),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    bar
}

fn explain(config: Config, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let inputs = Inputs::new(&args.input.inputs, args.input.format, &config.limits)
        .following_links(args.input.follow);
    let analyzer = analyzer(config, true)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut failed = false;
    for item in inputs {
        match item {
            Item::Message(message) => {
                let (report, walk) = analyzer.decode_and_walk(&message.bytes);
                writeln!(
                    out,
                    "== {} ({:?}, {})",
                    printable(&message.source),
                    report.kind,
                    report.mta.as_deref().unwrap_or("unknown MTA")
                )?;
                blowback::received::explain(&walk, &mut out)?;
                writeln!(out)?;
            }
            Item::Failed(failure) => {
                failed = true;
                eprintln!(
                    "blowback: {}: {}",
                    printable(&failure.source),
                    printable(&failure.error)
                );
            }
            Item::NotMail(source) => {
                eprintln!("blowback: {}: not mail, passed over", printable(&source))
            }
            Item::Skipped { source, reason } => eprintln!(
                "blowback: {}: passed over: {}",
                printable(&source),
                printable(&reason)
            ),
            Item::Known { .. } => {}
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn overrides(args: &EnrichArgs) -> EnrichOverrides {
    EnrichOverrides {
        data_dir: args.data_dir.clone(),
        whois_servers: args.whois_servers.clone(),
        rdap_bootstrap: args.rdap_bootstrap.clone(),
        dns_server: args.dns_server,
        cache: args.cache.clone(),
        offline: args.offline,
    }
}

fn lookup(config: Config, args: LookupArgs) -> anyhow::Result<ExitCode> {
    let enricher = Enricher::new(config.enrich.resolve(&overrides(&args.enrich)))
        .map_err(|err| UsageError(format!("enrichment: {err}")))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut failed = false;
    let mut results = Vec::new();
    for query in &args.queries {
        match enricher.lookup(query) {
            Ok(result) => results.push(result),
            Err(err) => {
                failed = true;
                eprintln!("blowback: lookup {}: {err}", printable(query));
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
    } else {
        for result in &results {
            blowback::lookup_table::write(result, &mut out)?;
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn report(config: Config, args: ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use blowback::deliver::{self, ReportOptions};
    let enrich = config.enrich.resolve(&overrides(&args.enrich));
    let jurisdictions =
        blowback::enrich::Jurisdictions::load(&enrich.data_dir.join("jurisdictions.json")).ok();
    let inputs = Inputs::new(&args.input.inputs, args.input.format, &config.limits)
        .following_links(args.input.follow);
    let mut analyzer = analyzer(config, false)?;
    analyzer.annotator = Some(if args.resolve {
        Annotator::resolving(enrich).map_err(|err| UsageError(format!("enrichment: {err}")))?
    } else {
        Annotator::local(&enrich)
    });
    let opts = ReportOptions {
        outbox: &args.out,
        jurisdictions: jurisdictions.as_ref(),
        now: unix_now(),
    };
    let summary = deliver::report(&analyzer, inputs, &opts)?;
    if !quiet || !summary.failed.is_empty() {
        summary.write(io::stderr().lock(), &args.out)?;
    }
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SOME_FAILED)
    })
}

fn review(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    use blowback::deliver::{self, ReviewMode};
    let mut stdin = io::stdin().lock();
    let mode = if args.approve_all {
        ReviewMode::All
    } else if !args.approve.is_empty() {
        ReviewMode::Files(&args.approve)
    } else if io::stdin().is_terminal() {
        ReviewMode::Ask(&mut stdin)
    } else {
        ReviewMode::List
    };
    let mut out = io::stdout().lock();
    let summary = deliver::review(&args.outbox, mode, &mut out, unix_now())
        .map_err(|err| UsageError(err.to_string()))?;
    Ok(if summary.pending > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn send(config: Config, args: SendArgs) -> anyhow::Result<ExitCode> {
    use blowback::deliver::{self, SendOptions, SmtpMailer};
    let settings = &config.report;
    let db = args.db.clone().or_else(|| settings.db.clone());
    let store = match &db {
        Some(path) => Some(Store::open(path).map_err(|err| UsageError(err.to_string()))?),
        None => None,
    };
    let password = std::env::var(&settings.smtp.password_env).ok();
    let hello = settings
        .reporter_address
        .as_deref()
        .filter(|a| blowback::cases::is_plain_address(a))
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, domain)| domain);
    let mut mailer = SmtpMailer::new(&settings.smtp, password, hello)
        .map_err(|err| UsageError(err.to_string()))?;
    let opts = SendOptions {
        really: args.really,
        reporter: settings.reporter_address.as_deref(),
        rate_per_minute: settings.smtp.rate_per_minute,
        retry_uncertain: args.retry_uncertain,
        now: unix_now(),
    };
    let mut out = io::stdout().lock();
    let summary = match deliver::send(&args.outbox, store.as_ref(), &mut mailer, &opts, &mut out) {
        Err(deliver::DeliverError::Usage(message)) => return Err(UsageError(message).into()),
        other => other?,
    };
    Ok(
        if summary.refused + summary.failed + summary.uncertain > 0 {
            ExitCode::from(EXIT_SOME_FAILED)
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn evidence(config: Config, args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    use blowback::evidence::{self, EvidenceError, PackOptions};
    evidence::check_out_dir(&args.out, &args.input.inputs)
        .map_err(|err| UsageError(err.to_string()))?;
    let options = PackOptions {
        pdf: args.pdf,
        ..PackOptions::resolve(&config.evidence, args.out, args.zip, args.case)
    };
    let enrich = config.enrich.resolve(&overrides(&args.enrich));
    let key_path = config.evidence.signing_key.clone();
    let inputs = Inputs::new(&args.input.inputs, args.input.format, &config.limits)
        .following_links(args.input.follow);
    let analyzer = analyzer(config, false)?;
    let outcome = evidence::run(analyzer, inputs, enrich, args.resolve, key_path, &options)
        .map_err(|err| match err {
            EvidenceError::Usage(message) => anyhow::Error::new(UsageError(message)),
            other => anyhow::Error::new(other),
        })?;
    let pack = &outcome.pack;
    if let Some(path) = &outcome.generated_key {
        eprintln!(
            "blowback: generated a signing key in {} (fingerprint {})",
            path.display(),
            pack.fingerprint
        );
    }
    println!("pack         {}", pack.dir.display());
    if let Some(zip) = &pack.zip {
        println!("zip          {}", zip.display());
    }
    println!(
        "messages     {} ({} failed, {} not mail)",
        pack.messages, pack.failed, pack.not_mail
    );
    println!("lookups      {}", pack.lookups);
    println!("payload      {} files", pack.files);
    println!("tagmanifest  sha256 {}", pack.tagmanifest_sha256);
    println!("signed by    {}", pack.fingerprint);
    Ok(if pack.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    use blowback::evidence::{sign, verify};
    let expected = match &args.key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(sign::parse_public_key(&text).ok_or_else(|| {
                UsageError(format!("{}: not an Ed25519 public key", path.display()))
            })?)
        }
        None => None,
    };
    if let Some(tsr) = &args.add_tsr {
        let bytes = std::fs::read(tsr).with_context(|| format!("reading {}", tsr.display()))?;
        let time = verify::add_response(&args.pack, &bytes)
            .map_err(|err| UsageError(format!("{}: {err}", tsr.display())))?;
        println!("timestamp    {time} added");
    }
    let (files, unreadable) = verify::load(&args.pack)?;
    let mut verdict = verify::check(&files, expected.as_ref());
    verdict.problems.splice(0..0, unreadable);
    for problem in &verdict.problems {
        println!("PROBLEM  {problem}");
    }
    println!("files        {}", verdict.files);
    if let Some(fingerprint) = &verdict.fingerprint {
        println!("signed by    {fingerprint}");
    }
    if let Some(time) = &verdict.timestamp {
        println!("timestamp    {time}");
    }
    if verdict.ok() {
        println!("OK: every hash, the signature and the custody chain check out");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "blowback: {} problem(s) in {}",
            verdict.problems.len(),
            args.pack.display()
        );
        Ok(ExitCode::from(EXIT_SOME_FAILED))
    }
}

/// The analysis and store of the live intake commands (`sink`, `fetch`): geo from the
/// local databases, the case store when given (also the lookup cache, as for `analyze`).
fn keeper(
    config: Config,
    db: Option<&std::path::Path>,
    enrich: &EnrichArgs,
) -> anyhow::Result<blowback::intake::keep::Keeper> {
    let store = match db {
        Some(path) => Some(Store::open(path).map_err(|err| UsageError(err.to_string()))?),
        None => None,
    };
    let mut enrich_overrides = overrides(enrich);
    if enrich_overrides.cache.is_none() && config.enrich.cache.is_none() {
        enrich_overrides.cache = db.map(std::path::Path::to_path_buf);
    }
    let enrich = config.enrich.resolve(&enrich_overrides);
    // The outbound log is read once; each message gets an analyzer with its own "now".
    let template = analyzer(config, false)?;
    let (config, outbound_ids) = (template.config, template.outbound_ids);
    let make = move |now| {
        let mut analyzer = Analyzer::new(config.clone(), outbound_ids.clone(), false, now);
        analyzer.annotator = Some(Annotator::local(&enrich));
        analyzer
    };
    Ok(blowback::intake::keep::Keeper::new(Box::new(make), store))
}

fn sink(config: Config, args: SinkArgs) -> anyhow::Result<ExitCode> {
    use blowback::intake::{maildir_write::Maildir, sink, smtp::Context};
    use std::sync::{Arc, atomic::AtomicBool};
    if config.own_domains.is_empty() {
        return Err(UsageError(
            "sink: set own_domains in the config file: the sink accepts mail for them only".into(),
        )
        .into());
    }
    let settings = config.sink.clone();
    let tls = match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => Some(sink::tls_config(cert, key).map_err(UsageError)?),
        (None, None) => None,
        _ => {
            return Err(UsageError("[sink] tls_cert and tls_key go together".into()).into());
        }
    };
    let maildir = Maildir::open(&args.maildir).map_err(|err| UsageError(err.to_string()))?;
    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&shutdown))
            .context("installing the signal handler")?;
    }
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|err| UsageError(format!("sink: cannot listen on {}: {err}", args.listen)))?;
    let hostname = sink::hostname(&settings, &config.own_mx);
    let ctx = Context {
        keeper: keeper(config.clone(), args.db.as_deref(), &args.enrich)?,
        config,
        settings,
        hostname,
        tls,
        maildir,
        shutdown,
    };
    eprintln!(
        "blowback sink: listening on {}",
        listener
            .local_addr()
            .context("reading the listening address")?
    );
    sink::run(listener, ctx).context("sink")?;
    eprintln!("blowback sink: stopped");
    Ok(ExitCode::SUCCESS)
}

fn fetch(config: Config, args: FetchArgs) -> anyhow::Result<ExitCode> {
    use blowback::intake::fetch::{self, After, FetchOptions, Target};
    use blowback::intake::maildir_write::Maildir;
    let settings = config.fetch.clone();
    let target = Target::parse(&args.url).map_err(UsageError)?;
    let password = std::env::var(&settings.password_env).map_err(|_| {
        UsageError(format!(
            "fetch: put the IMAP password in the environment variable {} ([fetch] password_env)",
            settings.password_env
        ))
    })?;
    let after = After::parse(&settings.after).map_err(UsageError)?;
    let maildir = Maildir::open(&args.maildir).map_err(|err| UsageError(err.to_string()))?;
    let opts = FetchOptions {
        target,
        password,
        after,
        batch: settings.batch,
        ca_file: settings.ca_file.clone(),
        state_path: settings
            .state
            .clone()
            .unwrap_or_else(|| args.maildir.join(".blowback-fetch.json")),
        max_message_bytes: config.limits.max_message_bytes,
    };
    let keeper = keeper(config, args.db.as_deref(), &args.enrich)?;
    fetch::run(&opts, &maildir, &keeper, args.idle, |pulled| {
        eprintln!(
            "blowback fetch: {} kept, {} kept before, {} left on the server (over the size limit)",
            pulled.kept, pulled.known, pulled.too_big
        );
    })?;
    Ok(ExitCode::SUCCESS)
}

fn notice(config: Config, args: NoticeArgs) -> anyhow::Result<ExitCode> {
    use blowback::intake::notice;
    if !args.db.is_file() {
        return Err(UsageError(format!("notice: no case store at {}", args.db.display())).into());
    }
    let store = Store::open(&args.db).map_err(|err| UsageError(err.to_string()))?;
    let page = notice::collect(&store, &config, unix_now())?;
    let path = notice::write(&args.out, &notice::render(&page)?)?;
    eprintln!(
        "blowback notice: {} ({} messages, {} networks, {} advertised contacts)",
        path.display(),
        page.bounces,
        page.networks_count,
        page.contacts_count
    );
    Ok(ExitCode::SUCCESS)
}
