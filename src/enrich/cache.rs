//! The answer cache: every raw answer from WHOIS, RDAP and DNS in one SQLite file.
//!
//! Keyed by (kind, server, query); holds the raw bytes, the time they arrived, a TTL and a
//! status (HTTP/DNS code). Online, a fresh entry is used instead of asking again; offline,
//! any entry is used whatever its age, so a report can be rebuilt exactly as it was.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::EnrichError;

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAnswer {
    pub kind: String,
    pub server: String,
    pub query: String,
    pub time: u64,
    pub ttl: u64,
    pub status: Option<u16>,
    pub bytes: Vec<u8>,
}

/// SQLite-backed cache; `Mutex` so one `Enricher` can be shared by reference.
pub struct Cache {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS answers (
    kind TEXT NOT NULL, server TEXT NOT NULL, query TEXT NOT NULL,
    time INTEGER NOT NULL, ttl INTEGER NOT NULL, status INTEGER, bytes BLOB NOT NULL,
    PRIMARY KEY (kind, server, query))";

impl Cache {
    /// Open (or create) the cache file.
    pub fn open(path: &Path) -> Result<Cache, EnrichError> {
        let err = |e: rusqlite::Error| EnrichError::Cache {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    /// A cache for this run only.
    pub fn in_memory() -> Cache {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch(SCHEMA).expect("cache schema");
        Cache {
            conn: Mutex::new(conn),
        }
    }

    /// The stored answer, if any; `fresh_at` = Some(now) also requires `time + ttl > now`.
    pub fn get(
        &self,
        kind: &str,
        server: &str,
        query: &str,
        fresh_at: Option<u64>,
    ) -> Option<CachedAnswer> {
        let conn = self.conn.lock().ok()?;
        let row = conn
            .query_row(
                "SELECT time, ttl, status, bytes FROM answers WHERE kind=?1 AND server=?2 AND query=?3",
                params![kind, server, query],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, Vec<u8>>(3)?)),
            )
            .optional()
            .ok()??;
        let (time, ttl, status, bytes) = row;
        let (time, ttl) = (time as u64, ttl as u64);
        if let Some(now) = fresh_at
            && time + ttl <= now
        {
            return None;
        }
        Some(CachedAnswer {
            kind: kind.into(),
            server: server.into(),
            query: query.into(),
            time,
            ttl,
            status: status.map(|s| s as u16),
            bytes,
        })
    }

    /// Store (or replace) an answer.
    pub fn put(&self, a: &CachedAnswer) {
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO answers (kind, server, query, time, ttl, status, bytes) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                params![a.kind, a.server, a.query, a.time as i64, a.ttl as i64, a.status.map(i64::from), a.bytes],
            );
        }
    }

    /// Most recent stored answer for (kind, query) from any server, e.g. to find what the
    /// referral chain looked like offline.
    pub fn find_any(&self, kind: &str, query: &str) -> Option<CachedAnswer> {
        let conn = self.conn.lock().ok()?;
        let row = conn
            .query_row(
                "SELECT server, time, ttl, status, bytes FROM answers WHERE kind=?1 AND query=?2 ORDER BY time DESC, server LIMIT 1",
                params![kind, query],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Vec<u8>>(4)?)),
            )
            .optional()
            .ok()??;
        Some(CachedAnswer {
            kind: kind.into(),
            server: row.0,
            query: query.into(),
            time: row.1 as u64,
            ttl: row.2 as u64,
            status: row.3.map(|s| s as u16),
            bytes: row.4,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_and_ttl() {
        let c = Cache::in_memory();
        let a = CachedAnswer {
            kind: "whois".into(),
            server: "h".into(),
            query: "q".into(),
            time: 100,
            ttl: 10,
            status: None,
            bytes: b"x\xff".to_vec(),
        };
        c.put(&a);
        assert_eq!(c.get("whois", "h", "q", None), Some(a.clone()));
        assert_eq!(c.get("whois", "h", "q", Some(105)), Some(a.clone()));
        assert_eq!(c.get("whois", "h", "q", Some(110)), None);
        assert_eq!(c.find_any("whois", "q").map(|x| x.server), Some("h".into()));
        assert_eq!(c.get("rdap", "h", "q", None), None);
    }
}
