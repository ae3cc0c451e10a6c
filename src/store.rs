//! The case store: one SQLite file holding what earlier runs analysed, so a nightly run
//! over a growing Maildir only does the new mail (`analyze --db FILE`). Messages are
//! keyed by SHA-256 of their bytes; files are also remembered by path, size and
//! modification time so an unchanged file is skipped without being read.
//!
//! The enrichment cache lives in the same file, in its own tables.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::ingest::{FileStamp, KnownFiles};

/// A store that could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[error("store {path}: {source} (check the path and that no other program holds the file)")]
pub struct StoreError {
    pub path: PathBuf,
    pub source: rusqlite::Error,
}

/// One analysed message to remember.
pub struct Analysed<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub record_json: &'a str,
    pub stamp: Option<FileStamp>,
}

pub struct Store {
    path: PathBuf,
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS analyses (
    id          TEXT PRIMARY KEY,   -- SHA-256 of the message bytes
    source      TEXT NOT NULL,      -- where it was first seen
    record      TEXT NOT NULL,      -- the analyze record (JSON)
    tool        TEXT NOT NULL,      -- blowback version that analysed it
    analysed_at INTEGER NOT NULL    -- Unix time
);
CREATE TABLE IF NOT EXISTS seen_files (
    source      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    modified_ns TEXT NOT NULL,
    id          TEXT NOT NULL REFERENCES analyses(id)
);
CREATE TABLE IF NOT EXISTS sent (
    case_id     TEXT PRIMARY KEY,   -- the complaint's case id (stable across runs)
    file        TEXT NOT NULL,      -- outbox file name
    sha256      TEXT NOT NULL,      -- SHA-256 of the .eml bytes sent
    recipient   TEXT NOT NULL,
    sent_at     INTEGER NOT NULL,   -- Unix time
    response    TEXT NOT NULL       -- the server's answer
);
";

/// One complaint delivered by `send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub case_id: String,
    pub file: String,
    pub sha256: String,
    pub recipient: String,
    pub sent_at: i64,
    pub response: String,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn,
        })
    }

    fn wrap(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.clone(),
            source,
        }
    }

    /// The stored record of a message analysed before, by id.
    pub fn stored_record(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT record FROM analyses WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.wrap(e))
    }

    /// Remembers a batch in one transaction (a run killed midway loses at most the
    /// batch in flight, which the next run analyses again; nothing is stored twice).
    pub fn remember(&mut self, batch: &[Analysed], now: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(|e| StoreError {
            path: self.path.clone(),
            source: e,
        })?;
        let result = (|| {
            for item in batch {
                tx.execute(
                    "INSERT OR IGNORE INTO analyses (id, source, record, tool, analysed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![item.id, item.source, item.record_json, env!("CARGO_PKG_VERSION"), now],
                )?;
                if let Some(stamp) = &item.stamp {
                    tx.execute(
                        "INSERT OR REPLACE INTO seen_files (source, size, modified_ns, id) VALUES (?1, ?2, ?3, ?4)",
                        params![stamp.source, stamp.size as i64, stamp.modified_ns.to_string(), item.id],
                    )?;
                }
            }
            Ok(())
        })();
        result.and_then(|()| tx.commit()).map_err(|e| self.wrap(e))
    }

    /// The delivery of a case, if it was sent before.
    pub fn sent(&self, case_id: &str) -> Result<Option<Sent>, StoreError> {
        self.conn
            .query_row(
                "SELECT case_id, file, sha256, recipient, sent_at, response FROM sent WHERE case_id = ?1",
                [case_id],
                |row| {
                    Ok(Sent {
                        case_id: row.get(0)?,
                        file: row.get(1)?,
                        sha256: row.get(2)?,
                        recipient: row.get(3)?,
                        sent_at: row.get(4)?,
                        response: row.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.wrap(e))
    }

    /// Records a delivery at once (committed before the next complaint is sent, so an
    /// interrupted run resumes without sending anything twice).
    pub fn record_sent(&self, sent: &Sent) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO sent (case_id, file, sha256, recipient, sent_at, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![sent.case_id, sent.file, sent.sha256, sent.recipient, sent.sent_at, sent.response],
            )
            .map(|_| ())
            .map_err(|e| self.wrap(e))
    }

    /// Every stored record (JSON) with the time it was analysed, oldest first, one at a
    /// time (the store may hold more than fits in memory).
    pub fn for_each_record(&self, mut each: impl FnMut(&str, i64)) -> Result<(), StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT record, analysed_at FROM analyses ORDER BY analysed_at, id")
            .map_err(|e| self.wrap(e))?;
        let mut rows = statement.query([]).map_err(|e| self.wrap(e))?;
        while let Some(row) = rows.next().map_err(|e| self.wrap(e))? {
            let record: String = row.get(0).map_err(|e| self.wrap(e))?;
            let at: i64 = row.get(1).map_err(|e| self.wrap(e))?;
            each(&record, at);
        }
        Ok(())
    }

    /// How many messages the store holds.
    pub fn count(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM analyses", [], |row| row.get(0))
            .map_err(|e| self.wrap(e))
    }

    /// A lookup of unchanged files for ingest, on its own connection (ingest runs
    /// while this one writes).
    pub fn known_files(&self) -> Result<KnownFiles, StoreError> {
        let conn = Connection::open(&self.path).map_err(|e| self.wrap(e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| self.wrap(e))?;
        let conn = std::sync::Mutex::new(conn);
        Ok(Box::new(move |stamp: &FileStamp| {
            let conn = conn.lock().ok()?;
            conn.query_row(
                "SELECT id FROM seen_files WHERE source = ?1 AND size = ?2 AND modified_ns = ?3",
                params![
                    stamp.source,
                    stamp.size as i64,
                    stamp.modified_ns.to_string()
                ],
                |row| row.get(0),
            )
            .optional()
            .ok()
            .flatten()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_messages_and_files_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let stamp = FileStamp {
            source: "a.eml".into(),
            size: 10,
            modified_ns: 5,
        };
        let item = Analysed {
            id: "abc",
            source: "a.eml",
            record_json: "{}",
            stamp: Some(stamp.clone()),
        };
        store.remember(&[item], 0).unwrap();
        store
            .remember(
                &[Analysed {
                    id: "abc",
                    source: "b.eml",
                    record_json: "{}",
                    stamp: None,
                }],
                1,
            )
            .unwrap();
        assert_eq!(store.count().unwrap(), 1);
        assert_eq!(store.stored_record("abc").unwrap().as_deref(), Some("{}"));
        let known = store.known_files().unwrap();
        assert_eq!(known(&stamp).as_deref(), Some("abc"));
        assert_eq!(
            known(&FileStamp {
                modified_ns: 6,
                ..stamp
            }),
            None
        );
    }
}
