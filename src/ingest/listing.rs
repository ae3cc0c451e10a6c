//! A directory's entries, sorted by name and packed into one buffer: a folder of a
//! million messages costs a few bytes per name instead of a path allocation each, so
//! memory does not grow with the size of a mail archive (only by its names).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The sorted, non-hidden entries of one directory, handed out one path at a time.
#[derive(Debug)]
pub struct Listing {
    dir: PathBuf,
    /// All names, back to back (their bytes as the OS gave them).
    names: Vec<u8>,
    /// Each name's span in `names`, in sorted order.
    spans: Vec<(u32, u32)>,
    next: usize,
}

impl Listing {
    /// Lists `dir`, leaving out names that start with `.`.
    pub fn read(dir: &Path) -> io::Result<Listing> {
        let mut names = Vec::new();
        let mut spans = Vec::new();
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let bytes = name.as_encoded_bytes();
            if bytes.first() == Some(&b'.') {
                continue;
            }
            let start = names.len();
            names.extend_from_slice(bytes);
            let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(names.len())) else {
                return Err(io::Error::other(
                    "directory listing larger than 4 GB of names",
                ));
            };
            spans.push((start, end));
        }
        // Byte order of the names: the order `PathBuf`s of one directory sort in.
        spans.sort_unstable_by(|a, b| {
            names[a.0 as usize..a.1 as usize].cmp(&names[b.0 as usize..b.1 as usize])
        });
        names.shrink_to_fit();
        spans.shrink_to_fit();
        Ok(Listing {
            dir: dir.to_path_buf(),
            names,
            spans,
            next: 0,
        })
    }

    /// Entries not handed out yet.
    pub fn remaining(&self) -> usize {
        self.spans.len() - self.next
    }
}

impl Iterator for Listing {
    type Item = PathBuf;

    fn next(&mut self) -> Option<PathBuf> {
        let &(start, end) = self.spans.get(self.next)?;
        self.next += 1;
        Some(
            self.dir
                .join(os_name(&self.names[start as usize..end as usize])),
        )
    }
}

/// The name whose encoded bytes these are (Unix names are plain bytes).
#[cfg(unix)]
fn os_name(bytes: &[u8]) -> &OsStr {
    std::os::unix::ffi::OsStrExt::from_bytes(bytes)
}

/// Elsewhere names are read back through UTF-8 (mail folders are named in it).
#[cfg(not(unix))]
fn os_name(bytes: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_like_paths_and_hidden_left_out() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.eml", "a.eml", ".hidden", "B.eml", "a.eml~", "10.eml", "9.eml",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let listed: Vec<PathBuf> = Listing::read(dir.path()).unwrap().collect();
        let mut expected: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        expected.sort();
        assert_eq!(listed, expected);
        assert_eq!(listed.len(), 6);
        let mut listing = Listing::read(dir.path()).unwrap();
        listing.next();
        assert_eq!(listing.remaining(), 5);
    }
}
