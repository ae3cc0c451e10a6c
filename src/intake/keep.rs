//! What happens to a message once it is on disk: the `analyze` pipeline itself
//! ([`crate::app::Analyzer::run`], with its time budget per message) over that one
//! message, remembering the result in the case store exactly as `analyze --db` does, so
//! a later `analyze --db` of the Maildir skips it.
//!
//! One message is analysed at a time, whatever the number of SMTP sessions: the memory
//! the analysis takes stays that of one message, and the store has one writer.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::app::{Analyzer, RunError};
use crate::ingest::{Format, Item, RawMessage};
use crate::output::{OutputFormat, Record, RecordWriter};
use crate::store::Store;

/// Makes the analyzer for a message arriving at the given Unix time (the analysis and
/// the store stamp "now" on what they record).
pub type MakeAnalyzer = Box<dyn Fn(i64) -> Analyzer + Send + Sync>;

/// The analysis and the store shared by every connection or fetch.
pub struct Keeper {
    make: MakeAnalyzer,
    /// The store (when given); the lock also lets one analysis run at a time.
    store: Mutex<Option<Store>>,
}

impl Keeper {
    pub fn new(make: MakeAnalyzer, store: Option<Store>) -> Self {
        Keeper {
            make,
            store: Mutex::new(store),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Option<Store>> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True when the case store holds the message with this SHA-256 already.
    pub fn knows(&self, id: &str) -> bool {
        self.store()
            .as_ref()
            .is_some_and(|store| matches!(store.stored_record(id), Ok(Some(_))))
    }

    /// Analyses the message kept at `path` and stores the record. `None` when the store
    /// held the same bytes already (nothing analysed again).
    pub fn keep(&self, path: &Path, bytes: Vec<u8>, now: i64) -> Result<Option<Record>, RunError> {
        let message = RawMessage::new(
            path.display().to_string(),
            bytes,
            Format::Maildir,
            Some(crate::timefmt::utc_rfc3339(now)),
        );
        let analyzer = Arc::new((self.make)(now));
        let mut store = self.store();
        let mut writer = RecordWriter::new(std::io::sink(), OutputFormat::Ndjson);
        let mut record = None;
        analyzer.run(
            std::iter::once(Item::Message(message)),
            &mut writer,
            store.as_mut(),
            false,
            |analysed| record = Some(analysed.clone()),
        )?;
        Ok(record)
    }
}
