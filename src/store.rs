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
-- The output lines of the last committed batch, until they are known to be out: at
-- most one row. A run killed between its commit and its write leaves it here, and the
-- next run completes that output file or writes the lines itself (see recover_output).
CREATE TABLE IF NOT EXISTS pending_output (
    only        INTEGER PRIMARY KEY CHECK (only = 1),
    path        TEXT,               -- the output file, when it is a regular file
    dev         INTEGER,
    ino         INTEGER,
    offset      INTEGER,            -- its size before the lines
    lines       BLOB NOT NULL
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

/// Deliveries whose outcome is unknown: the connection was lost after the message was
/// sent and before the server's final reply, so it may or may not have arrived. Kept
/// apart from `sent` (which only holds confirmed deliveries) so `send` neither resends
/// them silently nor claims them delivered.
const SEND_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sent_uncertain (
    case_id     TEXT PRIMARY KEY,   -- the complaint's case id
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,      -- SHA-256 of the .eml bytes sent
    recipient   TEXT NOT NULL,
    sent_at     INTEGER NOT NULL,   -- Unix time of the attempt
    response    TEXT NOT NULL       -- what went wrong
);
";

/// Where the output lines of a batch go: a regular file, identified by path, device and
/// inode, and its size before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputMark {
    pub path: String,
    pub dev: u64,
    pub ino: u64,
    pub offset: u64,
}

/// What became of the lines a killed run had committed but maybe not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was pending.
    Nothing,
    /// They were all in the output file already.
    AlreadyOut,
    /// The output file had a prefix of them (or none); the rest was appended to it.
    Completed { path: String, appended: usize },
    /// The output could not be checked (a pipe, a terminal, a file since changed): the
    /// lines are for this run to write.
    Replay(Vec<u8>),
}

/// One complaint delivered by `send` (or, in `sent_uncertain`, perhaps delivered).
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
        conn.execute_batch(SEND_SCHEMA).map_err(wrap)?;
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
        insert_analysed(&tx, batch, now)
            .and_then(|()| tx.commit())
            .map_err(|e| self.wrap(e))
    }

    /// Remembers a batch and the output `lines` that report it in one transaction,
    /// before the lines are written: the store then never holds a message whose line
    /// could be lost. The lines stay pending until the next batch (or
    /// [`Store::clear_pending_output`]) replaces them; a run killed before its write has
    /// them completed by [`Store::recover_output`].
    pub fn remember_with_output(
        &mut self,
        batch: &[Analysed],
        now: i64,
        lines: &[u8],
        mark: Option<&OutputMark>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| StoreError { path, source })?;
        let result = (|| {
            insert_analysed(&tx, batch, now)?;
            tx.execute("DELETE FROM pending_output", [])?;
            tx.execute(
                "INSERT INTO pending_output (only, path, dev, ino, offset, lines) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                params![
                    mark.map(|m| m.path.as_str()),
                    mark.map(|m| m.dev as i64),
                    mark.map(|m| m.ino as i64),
                    mark.map(|m| m.offset as i64),
                    lines
                ],
            )?;
            Ok(())
        })();
        result.and_then(|()| tx.commit()).map_err(|e| self.wrap(e))
    }

    /// Forgets the pending lines once they are out.
    pub fn clear_pending_output(&self) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM pending_output", [])
            .map(|_| ())
            .map_err(|e| self.wrap(e))
    }

    /// Settles the lines a killed run committed but maybe did not write (all, some or
    /// none of them): when they went to a regular file that is still the same file and
    /// holds a prefix of them at the recorded offset, the missing rest is appended to
    /// it, so every line is out exactly once and none is torn; otherwise they are handed
    /// back for this run to write.
    pub fn recover_output(&self) -> Result<Recovery, StoreError> {
        type Row = (
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Vec<u8>,
        );
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT path, dev, ino, offset, lines FROM pending_output WHERE only = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| self.wrap(e))?;
        let Some((path, dev, ino, offset, lines)) = row else {
            return Ok(Recovery::Nothing);
        };
        let mark = match (path, dev, ino, offset) {
            (Some(path), Some(dev), Some(ino), Some(offset)) => Some(OutputMark {
                path,
                dev: dev as u64,
                ino: ino as u64,
                offset: offset as u64,
            }),
            _ => None,
        };
        let recovery = match mark {
            Some(mark) => complete_output(&mark, &lines).unwrap_or(Recovery::Replay(lines)),
            None => Recovery::Replay(lines),
        };
        self.clear_pending_output()?;
        Ok(recovery)
    }

    /// The delivery of a case, if it was sent before.
    pub fn sent(&self, case_id: &str) -> Result<Option<Sent>, StoreError> {
        self.delivery("sent", case_id)
    }

    /// The row of a case in one of the two delivery tables (`sent`, `sent_uncertain`).
    fn delivery(&self, table: &'static str, case_id: &str) -> Result<Option<Sent>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT case_id, file, sha256, recipient, sent_at, response FROM {table} WHERE case_id = ?1"),
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

    /// A delivery of a case whose outcome is unknown, if there was one.
    pub fn uncertain(&self, case_id: &str) -> Result<Option<Sent>, StoreError> {
        self.delivery("sent_uncertain", case_id)
    }

    /// Records a delivery whose outcome is unknown (committed at once, before the next).
    pub fn record_uncertain(&self, sent: &Sent) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sent_uncertain (case_id, file, sha256, recipient, sent_at, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![sent.case_id, sent.file, sent.sha256, sent.recipient, sent.sent_at, sent.response],
            )
            .map(|_| ())
            .map_err(|e| self.wrap(e))
    }

    /// Records a confirmed delivery and forgets an earlier uncertain one, in one
    /// transaction.
    pub fn record_sent_after_retry(&self, sent: &Sent) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.wrap(e))?;
        let result = self.record_sent(sent).and_then(|()| {
            self.conn
                .execute(
                    "DELETE FROM sent_uncertain WHERE case_id = ?1",
                    [&sent.case_id],
                )
                .map(|_| ())
                .map_err(|e| self.wrap(e))
        });
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        self.conn.execute_batch(end).map_err(|e| self.wrap(e))?;
        result
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

fn insert_analysed(tx: &Connection, batch: &[Analysed], now: i64) -> rusqlite::Result<()> {
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
}

/// Completes `lines` in the output file `mark` names, when it is still that file and
/// holds exactly a prefix of them from the recorded offset. `None` when it cannot tell.
fn complete_output(mark: &OutputMark, lines: &[u8]) -> Option<Recovery> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(&mark.path)
        .ok()?;
    let metadata = file.metadata().ok()?;
    if crate::fsutil::file_id(&metadata) != Some((mark.dev, mark.ino)) || !metadata.is_file() {
        return None;
    }
    let present = metadata.len().checked_sub(mark.offset)?;
    if present > lines.len() as u64 {
        // More was written after them: check they are all there.
        let mut out = vec![0; lines.len()];
        file.seek(SeekFrom::Start(mark.offset)).ok()?;
        file.read_exact(&mut out).ok()?;
        return (out == lines).then_some(Recovery::AlreadyOut);
    }
    let mut out = Vec::with_capacity(present as usize);
    file.seek(SeekFrom::Start(mark.offset)).ok()?;
    (&mut file).take(present).read_to_end(&mut out).ok()?;
    if !lines.starts_with(&out) {
        return None;
    }
    if out.len() == lines.len() {
        return Some(Recovery::AlreadyOut);
    }
    file.write_all(&lines[out.len()..]).ok()?;
    file.flush().ok()?;
    Some(Recovery::Completed {
        path: mark.path.clone(),
        appended: lines.len() - out.len(),
    })
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

    #[test]
    fn pending_lines_of_a_killed_run_are_completed_once() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.ndjson");
        let lines = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
        let item = || Analysed {
            id: "a",
            source: "a.eml",
            record_json: "{}",
            stamp: None,
        };
        // Killed before the write, after half a line, and after the whole write.
        for written in [0, 5, lines.len()] {
            std::fs::write(&out, b"{\"id\":\"earlier\"}\n").unwrap();
            let offset = std::fs::metadata(&out).unwrap().len();
            let mut store = Store::open(&dir.path().join(format!("s{written}.db"))).unwrap();
            let (dev, ino) = crate::fsutil::file_id(&std::fs::metadata(&out).unwrap()).unwrap();
            let mark = OutputMark {
                path: out.display().to_string(),
                dev,
                ino,
                offset,
            };
            store
                .remember_with_output(&[item()], 0, lines, Some(&mark))
                .unwrap();
            let mut file = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
            std::io::Write::write_all(&mut file, &lines[..written]).unwrap();
            let recovery = store.recover_output().unwrap();
            if written == lines.len() {
                assert_eq!(recovery, Recovery::AlreadyOut);
            } else {
                assert!(
                    matches!(recovery, Recovery::Completed { appended, .. } if appended == lines.len() - written)
                );
            }
            let text = std::fs::read(&out).unwrap();
            assert_eq!(&text[offset as usize..], lines);
            assert_eq!(store.recover_output().unwrap(), Recovery::Nothing);
        }
        // Without a file to check, the lines are handed back.
        let mut store = Store::open(&dir.path().join("pipe.db")).unwrap();
        store
            .remember_with_output(&[item()], 0, lines, None)
            .unwrap();
        assert_eq!(
            store.recover_output().unwrap(),
            Recovery::Replay(lines.to_vec())
        );
    }
}
