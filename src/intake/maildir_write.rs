//! Delivery into a Maildir the way an MTA does it: the message is written to `tmp/`,
//! flushed to disk, renamed into `new/` and the directory synced, so that once
//! [`Pending::commit`] returns the message survives a crash, and a message never
//! committed (a client gone mid-DATA, a size limit) leaves nothing behind.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A Maildir we deliver into.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
    host: String,
}

/// Deliveries made by this process, for unique names within one microsecond.
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

impl Maildir {
    /// Opens `root`, creating `tmp/`, `new/` and `cur/` when missing.
    pub fn open(root: &Path) -> io::Result<Maildir> {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub)).map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("creating {}: {err}", root.join(sub).display()),
                )
            })?;
        }
        Ok(Maildir {
            root: root.to_path_buf(),
            host: name_safe(&local_host_name()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a delivery: a new file in `tmp/`.
    pub fn begin(&self) -> io::Result<Pending> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            DELIVERIES.fetch_add(1, Ordering::Relaxed),
            self.host
        );
        let tmp = self.root.join("tmp").join(&name);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        Ok(Pending {
            file: Some(BufWriter::new(file)),
            tmp,
            new: self.root.join("new").join(&name),
            len: 0,
        })
    }

    /// Delivers a whole message at once; returns its path in `new/`.
    pub fn deliver(&self, bytes: &[u8]) -> io::Result<PathBuf> {
        let mut pending = self.begin()?;
        pending.write_all(bytes)?;
        pending.commit()
    }
}

/// A delivery under way. Dropped without [`Pending::commit`], its file is removed.
pub struct Pending {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    new: PathBuf,
    len: u64,
}

impl Pending {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Flushes and syncs the file, renames it into `new/` and syncs `new/`.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let file = self.file.take().expect("a pending delivery has its file");
        let file = file.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.new)?;
        if let Some(dir) = self.new.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(std::mem::take(&mut self.new))
    }
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().expect("a pending delivery has its file");
        let n = file.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The machine's host name (`/etc/hostname`, else `localhost`).
pub fn local_host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A host name as a Maildir file name part: `/` and `:` are escaped as Maildir does.
fn name_safe(host: &str) -> String {
    host.replace('/', "\\057").replace(':', "\\072")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_in_new_dropped_gone() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = Maildir::open(dir.path()).unwrap();
        let path = maildir.deliver(b"Subject: x\r\n\r\nbody\r\n").unwrap();
        assert!(path.starts_with(dir.path().join("new")));
        assert_eq!(fs::read(&path).unwrap(), b"Subject: x\r\n\r\nbody\r\n");
        let mut pending = maildir.begin().unwrap();
        pending.write_all(b"half").unwrap();
        drop(pending);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.path().join("new")).unwrap().count(), 1);
    }
}
