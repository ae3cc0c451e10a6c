//! The analyze pipeline: runs the pure stages over each message from ingest and turns
//! the results into output [`Record`]s, in input order, several messages at a time
//! across cores, with bounded memory (a fixed window of messages in flight).

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};

use workers::{Batch, Workers};

use crate::annotate::Annotator;
use crate::bounce::{self, BounceReport, Kind};
use crate::config::Config;
use crate::contacts::{self, ContactContext};
use crate::ingest::{Item, RawMessage};
use crate::output::{OriginalSummary, Record, RecordWriter, Summary};
use crate::received::{self, TrustConfig};
use crate::store::{Analysed, Store};
use crate::verdict::{self, VerdictContext, VerdictKind};

mod workers;

/// Everything the stages need, resolved once before the run.
pub struct Analyzer {
    pub config: Config,
    pub outbound_ids: HashSet<String>,
    pub trust: TrustConfig,
    /// Include the whole Received walk in each record (`--hops`).
    pub with_hops: bool,
    /// Unix time used when a bounce carries no usable date (for BATV expiry).
    pub now: i64,
    /// Adds geo (and with `--resolve` network) facts; none in pure-stage tests.
    pub annotator: Option<Annotator>,
}

impl Analyzer {
    pub fn new(config: Config, outbound_ids: HashSet<String>, with_hops: bool, now: i64) -> Self {
        let trust = TrustConfig {
            own_domains: config.own_domains.clone(),
            own_mx: config.own_mx.clone(),
            own_relays: config.own_relays.clone(),
            trusted_networks: config.trusted_networks.clone(),
            ..TrustConfig::default()
        };
        Analyzer {
            config,
            outbound_ids,
            trust,
            with_hops,
            now,
            annotator: None,
        }
    }

    /// Analyses one message. A panic in a stage is a bug, but it must not lose the
    /// input: it becomes a failed record naming the stage's message.
    pub fn analyze(&self, message: &RawMessage) -> Record {
        match catch_unwind(AssertUnwindSafe(|| self.analyze_unguarded(message))) {
            Ok(record) => record,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Record::failed(
                    message.source.clone(),
                    Some(message.id.clone()),
                    format!("internal error while analysing (please report it): {what}"),
                )
            }
        }
    }

    /// The bounce stage and the Received walk within the configured limits (what
    /// `analyze` records and `explain` shows).
    pub fn decode_and_walk(&self, bytes: &[u8]) -> (BounceReport, received::OriginReport) {
        let limits = &self.config.limits;
        let decode_limits = bounce::DecodeLimits {
            mime_depth: limits.max_mime_depth,
            mime_parts: limits.max_mime_parts,
            report_depth: limits.max_carving_depth,
        };
        let report = bounce::decode_with(bytes, &decode_limits);
        let walk = received::walk(bytes, &report, &self.trust);
        (report, walk)
    }

    fn analyze_unguarded(&self, message: &RawMessage) -> Record {
        if let Err(limit) = admit(&message.bytes, &self.config.limits) {
            return Record::failed(message.source.clone(), Some(message.id.clone()), limit);
        }
        let bytes = &message.bytes;
        let limits = &self.config.limits;
        let (report, mut walk) = self.decode_and_walk(bytes);
        let arrival = arrival_time(bytes, &report.header).unwrap_or(self.now);
        let verdict = verdict::judge(
            bytes,
            &report,
            &VerdictContext {
                config: &self.config,
                outbound_ids: &self.outbound_ids,
                arrival_day: verdict::day_number(arrival),
            },
            walk.origin.as_ref(),
        );
        if verdict.verdict == VerdictKind::Reply {
            // The host that delivered a response to us did not send spam: no origin.
            walk.origin = None;
            walk.no_origin_reason = Some(
                "a response to mail in our name, not spam received directly: the host that delivered it to us is not an origin".into(),
            );
        }
        let mut contacts = contacts_of(
            bytes,
            &report,
            &self.contact_context(&verdict.bounced_to, &report, &walk),
        );
        cap_contacts(&mut contacts, limits);
        let hops = self
            .with_hops
            .then(|| serde_json::to_value(&walk).unwrap_or_default());
        let mut record = Record::new(message.source.clone(), Some(message.id.clone()));
        record.size = bytes.len();
        record.kind = Some(report.kind);
        record.mta = report.mta.clone();
        record.verdict = verdict.verdict;
        record.verdict_reasons = verdict.reasons;
        record.bounced_to = verdict.bounced_to;
        record.recipients = failed_recipients(&report);
        record.original = report.original.as_ref().map(summarize_original);
        let received_at = walk.origin.as_ref().and_then(|o| {
            walk.hops
                .iter()
                .find(|h| h.hop.index == o.hop)
                .and_then(|h| h.hop.date.clone())
        });
        record.origin = walk.origin.map(Into::into);
        record.bouncer_ip = walk.bouncer_ip;
        record.boundary_ip = walk.boundary_ip;
        record.no_origin_reason = walk.no_origin_reason;
        record.untrusted_hops = walk.untrusted_hops;
        record.anomalies = walk.anomalies;
        record.needs_fcrdns = walk.needs_fcrdns;
        record.hops = hops;
        record.contacts = contacts;
        record.reply_signals = crate::accuse::reply_signals(
            report
                .header
                .fields
                .iter()
                .map(|f| (&bytes[f.name.clone()], &bytes[f.value.clone()])),
            report.subject.as_deref(),
            &self.config.own_domains,
        );
        record.message = (report.kind == Kind::NotABounce).then(|| message_head(bytes, &report));
        record.received_at = received_at;
        record.envelope_date = message.envelope_date.clone();
        record.reporting_mta = report.reporting_mta;
        record.arrival_date = report.arrival_date;
        record.status = report.status;
        record.status_source = report.status_source;
        record.dsn = report.recipients;
        if let Some(annotator) = &self.annotator {
            annotator.annotate(&mut record);
        }
        record
    }

    /// What the contact extractor must leave out: our domains, the forged senders and
    /// the spam's recipients at the bouncer, and the hosts of M's Received lines.
    fn contact_context(
        &self,
        bounced_to: &[String],
        report: &BounceReport,
        walk: &received::OriginReport,
    ) -> ContactContext {
        let mut forged_addresses = bounced_to.to_vec();
        forged_addresses.extend(
            report
                .recipients
                .iter()
                .filter_map(|r| r.final_recipient.clone()),
        );
        forged_addresses.extend(report.bounce_from.clone());
        let mut received_hosts = Vec::new();
        for walked in walk.hops.iter().chain(&walk.outer_hops) {
            let hop = &walked.hop;
            received_hosts.extend(
                hop.from_helo
                    .iter()
                    .chain(&hop.from_rdns)
                    .chain(&hop.by_host)
                    .cloned(),
            );
            received_hosts.extend(hop.from_ip.map(|ip| ip.to_string()));
        }
        received_hosts.sort();
        received_hosts.dedup();
        ContactContext {
            own_domains: self.config.own_domains.clone(),
            forged_addresses,
            received_hosts,
            region_hint: None,
        }
    }

    /// Runs over all inputs, writing records in input order; returns the summary.
    /// With a store, messages analysed by an earlier run are skipped (and their stored
    /// records written when `replay_known`), and new results are remembered.
    ///
    /// Three things overlap: a reader thread reads and hashes the next messages, the
    /// analysis threads work on batches of them (up to `IN_FLIGHT_PER_THREAD` batches
    /// per thread), and this thread writes the records of each batch as soon as every
    /// batch before it is out.
    pub fn run<W: Write>(
        self: &Arc<Self>,
        inputs: impl Iterator<Item = Item> + Send,
        writer: &mut RecordWriter<W>,
        mut store: Option<&mut Store>,
        replay_known: bool,
        progress: impl FnMut(&Record),
    ) -> Result<Summary, RunError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = Workers::start(Arc::clone(self), threads);
        let in_flight_max = IN_FLIGHT_PER_THREAD * threads;
        // With a store, lines wait for the commit that records their messages.
        writer.hold(store.is_some());
        std::thread::scope(|scope| {
            scope.spawn(contacts::prepare);
            let (read, batches) = mpsc::sync_channel(READ_AHEAD);
            scope.spawn(move || read_in_batches(inputs, &read));
            let mut out = Emitter {
                writer,
                summary: Summary::default(),
                replay_known,
                progress,
                now: self.now,
                unsaved: Vec::new(),
                held: 0,
            };
            let mut in_flight: VecDeque<Group> = VecDeque::new();
            for batch in batches {
                // Store look-ups happen on this thread: the connection is not shared.
                in_flight.push_back(Group::new(batch, store.as_deref(), &workers));
                loop {
                    let full = in_flight.len() >= in_flight_max;
                    let ready = in_flight.front_mut().map(|front| full || front.poll());
                    if ready != Some(true) {
                        break;
                    }
                    let group = in_flight.pop_front().expect("front exists");
                    group.emit(&workers, &mut out, store.as_deref_mut())?;
                }
            }
            for group in in_flight {
                group.emit(&workers, &mut out, store.as_deref_mut())?;
            }
            out.save(store.as_deref_mut())?;
            if let Some(store) = store {
                store.clear_pending_output()?;
            }
            Ok(out.summary)
        })
    }
}

/// Sends the inputs on in batches. A batch goes as soon as there is room for it, so a
/// slow input is not held back; while the analysis is behind, batches fill up to
/// `BATCH_MESSAGES` (or `BATCH_BYTES`) and each hand-over carries many messages.
fn read_in_batches(inputs: impl Iterator<Item = Item>, read: &mpsc::SyncSender<Vec<Item>>) {
    let mut batch = Vec::new();
    let mut bytes = 0usize;
    for item in inputs {
        if let Item::Message(message) = &item {
            bytes += message.bytes.len();
        }
        batch.push(item);
        // The receiver is gone only when the run stopped on an error.
        if batch.len() >= BATCH_MESSAGES || bytes >= BATCH_BYTES {
            if read.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
            bytes = 0;
            continue;
        }
        match read.try_send(std::mem::take(&mut batch)) {
            Ok(()) => bytes = 0,
            Err(mpsc::TrySendError::Full(back)) => batch = back,
            Err(mpsc::TrySendError::Disconnected(_)) => return,
        }
    }
    if !batch.is_empty() {
        let _ = read.send(batch);
    }
}

/// One read batch on its way out: the outcomes that needed no analysis and the analysis
/// of the rest, in input order.
struct Group {
    entries: Vec<Entry>,
    analysis: Batch,
}

enum Entry {
    Done(Outcome),
    /// The next record of the group's analysis.
    Analysed,
}

impl Group {
    fn new(items: Vec<Item>, store: Option<&Store>, workers: &Workers) -> Self {
        let mut messages = Vec::new();
        let entries = items
            .into_iter()
            .map(|item| match triage(item, store) {
                Pending::Analyse(message) => {
                    messages.push(message);
                    Entry::Analysed
                }
                Pending::Done(outcome) => Entry::Done(outcome),
            })
            .collect();
        Group {
            entries,
            analysis: workers.dispatch(messages),
        }
    }

    /// True when every outcome of the group is in and writing it will not wait.
    fn poll(&mut self) -> bool {
        self.analysis.poll()
    }

    fn emit<W: Write, P: FnMut(&Record)>(
        mut self,
        workers: &Workers,
        out: &mut Emitter<'_, W, P>,
        mut store: Option<&mut Store>,
    ) -> Result<(), RunError> {
        for entry in self.entries {
            let outcome = match entry {
                Entry::Done(outcome) => outcome,
                Entry::Analysed => {
                    Outcome::Analysed(Box::new(workers.next_record(&mut self.analysis)))
                }
            };
            out.emit(outcome, store.as_deref_mut())?;
        }
        Ok(())
    }
}

/// Most messages in one batch, and the size at which a batch is closed early. Each
/// batch holds at most `BATCH_BYTES` plus one message.
const BATCH_MESSAGES: usize = 16;
const BATCH_BYTES: usize = 1 << 20;
/// Batches read ahead of the analysis.
const READ_AHEAD: usize = 2;
/// Batches dispatched but not yet written, per analysis thread. Together with
/// `READ_AHEAD` this bounds the messages held in memory, whatever the input's size.
const IN_FLIGHT_PER_THREAD: usize = 3;
/// Records written between two commits to the store.
const STORE_BATCH: usize = 16;

/// Writes outcomes in input order, counts them and remembers new analyses in the store.
struct Emitter<'w, W: Write, P: FnMut(&Record)> {
    writer: &'w mut RecordWriter<W>,
    summary: Summary,
    replay_known: bool,
    /// Told of every analysed record (the progress bar).
    progress: P,
    /// The run's time, stamped on what the store remembers.
    now: i64,
    /// Written records the store does not hold yet.
    unsaved: Vec<Record>,
    /// Outcomes written to the writer's buffer since the last save.
    held: usize,
}

impl<W: Write, P: FnMut(&Record)> Emitter<'_, W, P> {
    fn emit(&mut self, outcome: Outcome, store: Option<&mut Store>) -> Result<(), RunError> {
        self.held += 1;
        match outcome {
            Outcome::NotMail(source) => self.summary.skipped.push(source),
            Outcome::Skipped { source, reason } => self.summary.passed_over.push((source, reason)),
            Outcome::Known { stored } => {
                self.summary.known += 1;
                self.summary.inputs_read += 1;
                if self.replay_known
                    && let Some(json) = stored
                {
                    self.writer.write_stored(&json).map_err(RunError::Output)?;
                }
            }
            Outcome::Analysed(record) => {
                self.summary.add(&record);
                (self.progress)(&record);
                self.writer.write(&record).map_err(RunError::Output)?;
                if store.is_some() && record.error.is_none() {
                    self.unsaved.push(*record);
                }
            }
        }
        if self.held >= STORE_BATCH {
            self.save(store)?;
        }
        Ok(())
    }

    /// Commits the unsaved records together with the output lines written since the
    /// last save, then writes those lines in one write. A run killed before the commit
    /// wrote nothing of the batch and the next run analyses it again; killed after, the
    /// next run finds the lines pending in the store and completes the output
    /// (`Store::recover_output`): every message is out once, and no line is torn.
    fn save(&mut self, store: Option<&mut Store>) -> Result<(), RunError> {
        self.held = 0;
        let Some(store) = store else {
            return Ok(());
        };
        if self.unsaved.is_empty() && self.writer.held().is_empty() {
            return Ok(());
        }
        let jsons: Vec<String> = self
            .unsaved
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default())
            .collect();
        let batch: Vec<Analysed> = self
            .unsaved
            .iter()
            .zip(&jsons)
            .filter_map(|(record, json)| {
                Some(Analysed {
                    id: record.id.as_deref()?,
                    source: &record.source,
                    record_json: json,
                    stamp: crate::ingest::file_stamp(&record.source),
                })
            })
            .collect();
        let mark = self.writer.mark();
        store
            .remember_with_output(&batch, self.now, self.writer.held(), mark.as_ref())
            .map_err(RunError::Store)?;
        self.writer.flush().map_err(RunError::Output)?;
        self.unsaved.clear();
        Ok(())
    }
}

/// Decides, before analysis, what needs no analysis: non-mail, failures, and messages
/// the store already holds.
fn triage(item: Item, store: Option<&Store>) -> Pending {
    let done = |outcome| Pending::Done(outcome);
    match item {
        Item::NotMail(source) => done(Outcome::NotMail(source)),
        Item::Skipped { source, reason } => done(Outcome::Skipped { source, reason }),
        Item::Known { id, .. } => {
            let stored = store.and_then(|s| s.stored_record(&id).ok().flatten());
            done(Outcome::Known { stored })
        }
        Item::Failed(failure) => done(Outcome::Analysed(Box::new(Record::failed(
            failure.source,
            None,
            failure.error,
        )))),
        Item::Message(message) => match store.map(|s| s.stored_record(&message.id)) {
            Some(Ok(Some(stored))) => done(Outcome::Known {
                stored: Some(stored),
            }),
            _ => Pending::Analyse(message),
        },
    }
}

enum Pending {
    Analyse(RawMessage),
    Done(Outcome),
}

/// What became of one ingest item.
enum Outcome {
    NotMail(String),
    /// Not read at all (not a regular file, a link not followed, already read).
    Skipped {
        source: String,
        reason: String,
    },
    /// Analysed by an earlier run; its stored record, if the store has it.
    Known {
        stored: Option<String>,
    },
    Analysed(Box<Record>),
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("writing results: {0}")]
    Output(std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Checks a message against the header limits before any stage parses it, so a hostile
/// header block is refused by name instead of costing time.
fn admit(bytes: &[u8], limits: &crate::config::Limits) -> Result<(), String> {
    let mut fields = 0usize;
    let mut field_len = 0usize;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            field_len += line.len();
        } else {
            fields += 1;
            field_len = line.len();
        }
        if fields > limits.max_header_fields {
            return Err(format!(
                "more than limits.max_header_fields ({}) header fields",
                limits.max_header_fields
            ));
        }
        if field_len > limits.max_header_bytes {
            return Err(format!(
                "a header field longer than limits.max_header_bytes ({} bytes)",
                limits.max_header_bytes
            ));
        }
    }
    Ok(())
}

/// Contacts come from M's body: the carved original, or the message itself when it is
/// not a report. A headers-only copy and a report without a copy advertise nothing.
fn contacts_of(
    bytes: &[u8],
    report: &BounceReport,
    ctx: &ContactContext,
) -> Vec<contacts::Contact> {
    match (&report.original, report.kind) {
        (Some(original), _) if original.completeness != bounce::Completeness::HeadersOnly => {
            contacts::extract_with(&original.bytes, original.structure.as_ref(), ctx)
        }
        (None, Kind::NotABounce) => contacts::extract_with(bytes, report.structure.as_ref(), ctx),
        _ => Vec::new(),
    }
}

/// Applies the configured contact limits (the stage's own caps are the most).
fn cap_contacts(contacts: &mut Vec<contacts::Contact>, limits: &crate::config::Limits) {
    contacts.truncate(limits.max_contacts);
    for contact in contacts.iter_mut() {
        for text in [&mut contact.value, &mut contact.raw] {
            if text.len() > limits.max_url_bytes {
                let mut cut = limits.max_url_bytes;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
        }
    }
}

/// The addresses a bounce reports as failed.
fn failed_recipients(report: &BounceReport) -> Vec<String> {
    if matches!(report.kind, Kind::NotABounce) {
        return Vec::new();
    }
    let mut out: Vec<String> = report
        .recipients
        .iter()
        .filter_map(|r| r.final_recipient.clone())
        .collect();
    out.dedup();
    out
}

/// The identifying fields of a message that is M itself.
fn message_head(bytes: &[u8], report: &BounceReport) -> crate::output::MessageHead {
    let block = &report.header;
    let from = block
        .last(bytes, "from")
        .and_then(|raw| crate::mailparse::mailboxes(raw).into_iter().next())
        .and_then(|m| m.address);
    crate::output::MessageHead {
        message_id: block.text(bytes, "message-id"),
        from: from.or_else(|| block.text(bytes, "from")),
        subject: report.subject.clone(),
        date: block.text(bytes, "date"),
    }
}

fn summarize_original(original: &bounce::Original) -> OriginalSummary {
    OriginalSummary {
        completeness: original.completeness,
        sha256: original.sha256.clone(),
        message_id: original.message_id.clone(),
        from: original.from.clone(),
        subject: original.subject.clone(),
        date: original.date.clone(),
        carrier: original.carrier.clone(),
        range: original.range,
        depth: original.depth,
    }
}

/// The bounce's own Date (from its header block), as a Unix time.
fn arrival_time(bytes: &[u8], block: &bounce::headers::Block) -> Option<i64> {
    crate::mailparse::timestamp(block.last(bytes, "date")?)
}

/// Reads the outbound log: one Message-ID per line, angle brackets optional.
pub fn read_outbound_log(path: &std::path::Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read(path)
        .map_err(|err| format!("cannot read outbound_log {}: {err}", path.display()))?;
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .map(|line| {
            line.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .filter(|id| !id.is_empty())
        .collect())
}
