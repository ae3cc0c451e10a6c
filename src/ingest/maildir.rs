//! Maildir folders: the messages in `cur/` and `new/`, in name order, with the delivery
//! date taken from the unique file name (`<epoch seconds>.<id>.<host>[:2,flags]`).
//!
//! mail-parser's Maildir iterator yields files in directory order and drops the path of
//! a file it cannot read, so the folder is listed here: sorted, and every unreadable
//! file is named.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Format, IngestFailure, Item, RawMessage, rfc3339};

/// Iterates over one Maildir folder.
pub struct MaildirMessages {
    files: std::vec::IntoIter<PathBuf>,
    max_bytes: u64,
    listing_errors: Vec<IngestFailure>,
}

impl MaildirMessages {
    pub fn open(dir: &Path, max_bytes: u64) -> Self {
        let mut files = Vec::new();
        let mut listing_errors = Vec::new();
        for sub in ["cur", "new"] {
            let sub_dir = dir.join(sub);
            if !sub_dir.exists() {
                continue;
            }
            match fs::read_dir(&sub_dir) {
                Ok(entries) => {
                    for entry in entries {
                        match entry {
                            Ok(entry) if !is_hidden(&entry.file_name()) => files.push(entry.path()),
                            Ok(_) => {}
                            Err(err) => listing_errors.push(IngestFailure::new(
                                sub_dir.display().to_string(),
                                format!("cannot list Maildir folder: {err}"),
                            )),
                        }
                    }
                }
                Err(err) => listing_errors.push(IngestFailure::new(
                    sub_dir.display().to_string(),
                    format!("cannot list Maildir folder: {err}"),
                )),
            }
        }
        files.sort();
        MaildirMessages {
            files: files.into_iter(),
            max_bytes,
            listing_errors,
        }
    }
}

impl Iterator for MaildirMessages {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(failure) = self.listing_errors.pop() {
            return Some(Err(failure));
        }
        let path = self.files.next()?;
        let source = path.display().to_string();
        Some(
            super::input::read_file(&path, self.max_bytes)
                .map(|bytes| {
                    RawMessage::new(
                        source.clone(),
                        bytes,
                        Format::Maildir,
                        date_from_name(&path),
                    )
                })
                .map_err(|error| IngestFailure::new(source, error)),
        )
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// The delivery time a Maildir unique name starts with, if it has one.
pub fn date_from_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let seconds = name.split(['.', '_']).next()?;
    if seconds.is_empty() || seconds.len() > 11 || !seconds.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(rfc3339(seconds.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_comes_from_the_unique_name() {
        let path = Path::new("Maildir/cur/1562320800.M123P456.mx1:2,S");
        assert_eq!(
            date_from_name(path).as_deref(),
            Some("2019-07-05T10:00:00Z")
        );
        assert_eq!(date_from_name(Path::new("cur/notadate.eml")), None);
    }
}
