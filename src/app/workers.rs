//! The analysis threads: long-lived, fed batches of messages through one queue, each
//! message under a time budget (`limits.max_seconds_per_message`).
//!
//! Messages travel in batches because handing them over one at a time cost more than
//! some stages: every hand-over can wake a sleeping thread, and on two cores the wake-ups
//! and context switches took about a tenth of the CPU of a run. A message over its budget
//! is recorded as failed naming the limit, its thread is left to finish alone, a fresh
//! thread takes its place and the rest of its batch is queued again. Every stage is
//! bounded and linear, so the budget is a backstop against a bug. (A thread per message
//! would do the same, but thread churn lets the allocator's peak grow over a long run.)

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::Analyzer;
use crate::ingest::RawMessage;
use crate::output::Record;

pub(super) struct Workers {
    jobs: mpsc::Sender<Job>,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    analyze: Analyze,
    /// `limits.max_seconds_per_message`.
    budget_seconds: f64,
}

/// What a thread does with each message (`Analyzer::analyze` outside tests).
type Analyze = Arc<dyn Fn(&RawMessage) -> Record + Send + Sync>;

/// Messages `from` onwards of a batch, where their records go, and how to say the job
/// is over (one signal per job: a signal per record would wake the writer per message).
struct Job {
    messages: Arc<[RawMessage]>,
    from: usize,
    progress: Arc<Progress>,
    done: mpsc::Sender<()>,
}

/// A job's records so far, and which message its thread is on since when.
#[derive(Default)]
struct Progress(Mutex<ProgressState>);

#[derive(Default)]
struct ProgressState {
    current: Option<(usize, Instant)>,
    records: Vec<Record>,
    /// The writer gave up on the job (a message over its budget): the thread stops.
    abandoned: bool,
}

/// What the writer learns when it looks at a job that is not over.
enum Check {
    /// The message at `index` is over its budget: the records before it, and the job
    /// is abandoned.
    Over { index: usize, done: Vec<Record> },
    /// Look again after this long at the latest.
    Wait(Duration),
}

/// How long to wait before looking again at a job whose thread has not begun.
const QUEUED_RECHECK: Duration = Duration::from_millis(10);

impl Progress {
    fn state(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        // A thread that panicked while holding the lock left whole records only.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn start(&self, index: usize) {
        self.state().current = Some((index, Instant::now()));
    }

    /// Adds a message's record; false when the writer no longer wants it.
    fn finish(&self, record: Record) -> bool {
        let mut state = self.state();
        state.current = None;
        if state.abandoned {
            return false;
        }
        state.records.push(record);
        true
    }

    fn take(&self) -> Vec<Record> {
        std::mem::take(&mut self.state().records)
    }

    /// Decides, in one look, whether the current message is over `budget`.
    fn check(&self, budget: Duration) -> Check {
        let mut state = self.state();
        match state.current {
            Some((index, at)) if at.elapsed() >= budget => {
                state.abandoned = true;
                Check::Over {
                    index,
                    done: std::mem::take(&mut state.records),
                }
            }
            Some((_, at)) => Check::Wait(budget - at.elapsed()),
            None => Check::Wait(QUEUED_RECHECK.min(budget)),
        }
    }
}

/// A batch handed to the analysis threads. Its records come back in batch order.
pub(super) struct Batch {
    messages: Arc<[RawMessage]>,
    progress: Arc<Progress>,
    done: mpsc::Receiver<()>,
    /// The job's thread is through (or gone): every record it will give is in `ready`.
    finished: bool,
    /// Records taken in and not yet handed out, in batch order.
    ready: VecDeque<Record>,
    /// Index of the next record to hand out.
    next: usize,
}

const THREAD_STOPPED: &str = "the analysis thread stopped unexpectedly";

impl Batch {
    /// True when the whole batch is analysed, so handing out its records will not wait.
    pub(super) fn poll(&mut self) -> bool {
        if !self.finished {
            match self.done.try_recv() {
                Ok(()) | Err(mpsc::TryRecvError::Disconnected) => self.take_all(),
                Err(mpsc::TryRecvError::Empty) => return false,
            }
        }
        true
    }

    fn take_all(&mut self) {
        self.finished = true;
        self.ready.extend(self.progress.take());
    }

    /// The failed record of message `index`, naming `error`.
    fn failed(&self, index: usize, error: &str) -> Record {
        let message = &self.messages[index];
        Record::failed(
            message.source.clone(),
            Some(message.id.clone()),
            error.into(),
        )
    }
}

impl Workers {
    pub(super) fn start(analyzer: Arc<Analyzer>, threads: usize) -> Self {
        let budget_seconds = analyzer.config.limits.max_seconds_per_message;
        let analyze: Analyze = Arc::new(move |message| analyzer.analyze(message));
        Self::start_with(analyze, budget_seconds, threads)
    }

    fn start_with(analyze: Analyze, budget_seconds: f64, threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel();
        let workers = Workers {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            analyze,
            budget_seconds,
        };
        for _ in 0..threads.max(1) {
            workers.spawn_one();
        }
        workers
    }

    fn spawn_one(&self) {
        let (queue, analyze) = (Arc::clone(&self.queue), Arc::clone(&self.analyze));
        // A failed spawn leaves fewer workers; the others still drain the queue.
        let _ = std::thread::Builder::new()
            .name("blowback-analyze".into())
            .spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else {
                        return;
                    };
                    for (index, message) in job.messages.iter().enumerate().skip(job.from) {
                        job.progress.start(index);
                        if !job.progress.finish(analyze(message)) {
                            break;
                        }
                    }
                    // No receiver: the writer gave up on the job or the run has ended.
                    let _ = job.done.send(());
                }
            });
    }

    /// Queues messages for analysis (none: an empty batch, nothing queued).
    pub(super) fn dispatch(&self, messages: Vec<RawMessage>) -> Batch {
        let messages: Arc<[RawMessage]> = messages.into();
        let (done, progress) = if messages.is_empty() {
            (mpsc::channel().1, Arc::default())
        } else {
            self.queue_from(&messages, 0)
        };
        Batch {
            messages,
            progress,
            done,
            finished: false,
            ready: VecDeque::new(),
            next: 0,
        }
    }

    /// Queues messages `from` onwards of a batch. If no thread is left to take them, the
    /// job is dropped at once and each record reads as a stopped thread.
    fn queue_from(
        &self,
        messages: &Arc<[RawMessage]>,
        from: usize,
    ) -> (mpsc::Receiver<()>, Arc<Progress>) {
        let (done, signal) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let _ = self.jobs.send(Job {
            messages: Arc::clone(messages),
            from,
            progress: Arc::clone(&progress),
            done,
        });
        (signal, progress)
    }

    /// The batch's next record, waiting for the batch within the time budget of each
    /// message, counted from when a thread began on it (the queue before that is not
    /// the message's fault).
    pub(super) fn next_record(&self, batch: &mut Batch) -> Record {
        let index = batch.next;
        batch.next += 1;
        let seconds = self.budget_seconds;
        let budget = Duration::from_secs_f64(seconds.max(0.001));
        loop {
            if let Some(record) = batch.ready.pop_front() {
                return record;
            }
            if batch.finished {
                return batch.failed(index, THREAD_STOPPED);
            }
            let wait = match batch.progress.check(budget) {
                Check::Over { index: late, done } => {
                    // Keep what is done, fail the late message, queue the rest again.
                    let failed = batch.failed(
                        late,
                        &format!(
                            "analysis took longer than limits.max_seconds_per_message ({seconds} s); skipped"
                        ),
                    );
                    batch.ready.extend(done);
                    batch.ready.push_back(failed);
                    self.spawn_one();
                    if late + 1 < batch.messages.len() {
                        (batch.done, batch.progress) = self.queue_from(&batch.messages, late + 1);
                    } else {
                        batch.finished = true;
                    }
                    continue;
                }
                Check::Wait(wait) => wait,
            };
            match batch.done.recv_timeout(wait) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => batch.take_all(),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;

    fn message(name: &str) -> RawMessage {
        RawMessage::new(name.into(), name.as_bytes().to_vec(), Format::Eml, None)
    }

    /// Records `ok <source>`, after sleeping on messages named `slow*`.
    fn workers(threads: usize, budget_seconds: f64) -> Workers {
        let analyze: Analyze = Arc::new(|message: &RawMessage| {
            if message.source.starts_with("slow") {
                std::thread::sleep(Duration::from_secs(3));
            }
            Record::new(format!("ok {}", message.source), None)
        });
        Workers::start_with(analyze, budget_seconds, threads)
    }

    fn sources(workers: &Workers, mut batch: Batch, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                let record = workers.next_record(&mut batch);
                match record.error {
                    Some(error) => format!("failed {}: {error}", record.source),
                    None => record.source,
                }
            })
            .collect()
    }

    #[test]
    fn records_come_back_in_batch_order_across_batches() {
        let workers = workers(2, 30.0);
        let first = workers.dispatch(vec![message("a"), message("b"), message("c")]);
        let second = workers.dispatch(vec![message("d")]);
        assert_eq!(sources(&workers, first, 3), ["ok a", "ok b", "ok c"]);
        assert_eq!(sources(&workers, second, 1), ["ok d"]);
    }

    #[test]
    fn a_message_over_its_budget_is_failed_and_the_rest_of_its_batch_still_runs() {
        let workers = workers(1, 0.2);
        let batch = workers.dispatch(vec![message("a"), message("slow"), message("c")]);
        let got = sources(&workers, batch, 3);
        assert_eq!(got[0], "ok a");
        assert!(
            got[1].starts_with(
                "failed slow: analysis took longer than limits.max_seconds_per_message (0.2 s)"
            ),
            "{got:?}"
        );
        assert_eq!(got[2], "ok c", "{got:?}");
    }

    #[test]
    fn an_empty_batch_is_ready_at_once() {
        let workers = workers(1, 30.0);
        let mut batch = workers.dispatch(Vec::new());
        assert!(batch.poll());
    }

    #[test]
    fn a_batch_is_ready_only_when_every_record_is_in() {
        let workers = workers(1, 30.0);
        let mut batch = workers.dispatch(vec![message("a"), message("b")]);
        let start = Instant::now();
        while !batch.poll() {
            assert!(start.elapsed() < Duration::from_secs(30), "never ready");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(batch.ready.len(), 2);
        assert_eq!(sources(&workers, batch, 2), ["ok a", "ok b"]);
    }
}
