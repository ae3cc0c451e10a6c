//! What happens to a message once it is on disk: the `analyze` pipeline's analysis of
//! one message ([`crate::app::Analyzer::analyze`]) and, with a case store, remembering
//! the result exactly as `analyze --db` does, so a later `analyze --db` of the Maildir
//! skips it.

use std::path::Path;
use std::sync::Mutex;

use crate::app::Analyzer;
use crate::ingest::{Format, RawMessage};
use crate::output::Record;
use crate::store::{Analysed, Store, StoreError};

/// The analysis and the store shared by every connection or fetch.
pub struct Keeper {
    pub analyzer: Analyzer,
    /// One SQLite connection; the lock keeps writers from different threads apart.
    store: Option<Mutex<Store>>,
}

impl Keeper {
    pub fn new(analyzer: Analyzer, store: Option<Store>) -> Self {
        Keeper {
            analyzer,
            store: store.map(Mutex::new),
        }
    }

    /// True when the case store holds the message with this SHA-256 already.
    pub fn knows(&self, id: &str) -> bool {
        self.store.as_ref().is_some_and(|store| {
            let store = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            matches!(store.stored_record(id), Ok(Some(_)))
        })
    }

    /// Analyses the message kept at `path` and stores the record. The record comes back
    /// even when the store fails (the message is on disk either way).
    pub fn keep(&self, path: &Path, bytes: Vec<u8>, now: i64) -> (Record, Result<(), StoreError>) {
        let source = path.display().to_string();
        let message = RawMessage::new(
            source,
            bytes,
            Format::Maildir,
            Some(crate::timefmt::utc_rfc3339(now)),
        );
        let record = self.analyzer.analyze(&message);
        let stored = match &self.store {
            Some(store) if record.error.is_none() => {
                let json = serde_json::to_string(&record).unwrap_or_default();
                let batch = [Analysed {
                    id: &message.id,
                    source: &record.source,
                    record_json: &json,
                    stamp: crate::ingest::file_stamp(&record.source),
                }];
                let mut store = store
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                store.remember(&batch, now)
            }
            _ => Ok(()),
        };
        (record, stored)
    }
}
