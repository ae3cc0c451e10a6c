//! Reading a pack for `verify` without trusting it: from a directory only regular files
//! inside it (symbolic links, FIFOs, devices and sockets are named, never opened or
//! followed; files are opened `O_NOFOLLOW | O_NONBLOCK` and checked again once open),
//! from a zip only entries with safe, unique names under one top folder. Tag files are
//! read up to a fixed limit; payload files only when `manifest-sha256.txt` lists them, and
//! never more bytes than `Payload-Oxum` (and, in a zip, the entry's stated size) allows.
//! Files are hashed as they stream; only the small files the checks read keep their bytes,
//! so memory stays flat whatever the pack holds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::verify::Problem;
use super::{EvidenceError, names};

/// Most bytes read of a manifest (a line is about 100 bytes: room for some 600,000 files).
const MANIFEST_LIMIT: u64 = 64 << 20;
/// Most bytes read of any other tag file (ours are a few hundred bytes each).
const TAG_LIMIT: u64 = 1 << 20;
/// Most bytes kept of `data/custody.jsonl` (a few KB a step; the payload bound applies too).
const CUSTODY_LIMIT: u64 = 64 << 20;
/// The files whose bytes the checks read; of every other file only the hash is kept.
const KEPT: [&str; 9] = [
    names::BAGIT,
    names::BAG_INFO,
    names::MANIFEST,
    names::TAGMANIFEST,
    names::PUBLIC_KEY,
    names::SIGNATURE,
    names::TSQ,
    names::TSR,
    names::CUSTODY,
];

/// One file of the pack as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackFile {
    /// Bytes read, or the size the file system or the zip states when not read.
    pub size: u64,
    /// SHA-256 hex of the bytes; `None` when the file was not read (in full).
    pub sha256: Option<String>,
    /// The bytes, for the files the checks read ([`KEPT`]).
    pub bytes: Option<Vec<u8>>,
    /// A problem found while reading already names this file.
    pub named: bool,
}

/// A pack as read: its files by relative path, and the directories met.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub entries: BTreeMap<String, PackFile>,
    /// Relative paths of directories (so a directory where a file belongs is named as such).
    pub dirs: BTreeSet<String>,
}

impl Files {
    pub fn get(&self, name: &str) -> Option<&PackFile> {
        self.entries.get(name)
    }

    /// The bytes of a file the checks read.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.entries.get(name)?.bytes.as_deref()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Why a file the pack should hold is not there: "missing", or what is there instead.
    pub fn absent(&self, name: &str) -> &'static str {
        if self.dirs.contains(name) {
            "a directory where a file belongs"
        } else {
            "missing"
        }
    }

    /// The `<sha256> <path>` lines of a manifest: line number and `(hash, path)`, or `None`
    /// for a line of another shape.
    pub fn manifest_lines(bytes: &[u8]) -> Vec<(usize, Option<(String, String)>)> {
        String::from_utf8_lossy(bytes)
            .lines()
            .enumerate()
            .map(|(n, line)| {
                let parsed = line.split_once(char::is_whitespace).map(|(hash, path)| {
                    let path = path
                        .trim_start()
                        .replace("%0A", "\n")
                        .replace("%0D", "\r")
                        .replace("%25", "%");
                    (hash.to_string(), path)
                });
                (n + 1, parsed)
            })
            .collect()
    }

    /// Payload files `manifest-sha256.txt` lists, and the payload bytes `Payload-Oxum` allows.
    fn plan(&self) -> (BTreeSet<String>, Option<u64>) {
        let listed = self
            .bytes(names::MANIFEST)
            .map(Files::manifest_lines)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, line)| Some(line?.1))
            .collect();
        let oxum = self
            .bytes(names::BAG_INFO)
            .map(String::from_utf8_lossy)
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("Payload-Oxum:"))
                    .and_then(|v| v.trim().split_once('.'))
                    .and_then(|(bytes, _)| bytes.parse().ok())
            });
        (listed, oxum)
    }
}

/// Reads a bag from a directory or a zip (whose single top folder is stripped), with the
/// problems met while reading (each naming its file).
pub fn load(path: &Path) -> Result<(Files, Vec<Problem>), EvidenceError> {
    let mut reader: Box<dyn Source> = if path.is_dir() {
        Box::new(Dir::open(path)?)
    } else {
        Box::new(Zip::open(path)?)
    };
    let listing = reader.take_listing();
    let mut files = Files {
        dirs: listing.dirs,
        ..Default::default()
    };
    let mut problems = listing.problems;
    let candidates = reader.candidates();
    for (name, stated) in candidates.iter().filter(|(n, _)| !n.starts_with("data/")) {
        let cap = if [names::MANIFEST, names::TAGMANIFEST].contains(&name.as_str()) {
            MANIFEST_LIMIT
        } else {
            TAG_LIMIT
        };
        let file = if *stated > cap {
            let why = format!("not read: {stated} bytes, more than a tag file may have ({cap})");
            unread(name, *stated, &why, &mut problems)
        } else {
            read_one(reader.as_mut(), name, *stated, *stated, &mut problems)
        };
        files.entries.insert(name.clone(), file);
    }
    let (listed, oxum) = files.plan();
    let mut budget = oxum;
    for (name, stated) in candidates.iter().filter(|(n, _)| n.starts_with("data/")) {
        let file = if !listed.contains(name) {
            // Named as an extra file by the checks; nothing in it is needed.
            PackFile {
                size: *stated,
                ..Default::default()
            }
        } else {
            match budget {
                None => unread(
                    name,
                    *stated,
                    "not read: bag-info.txt states no Payload-Oxum to bound it",
                    &mut problems,
                ),
                Some(left) if *stated > left => unread(
                    name,
                    *stated,
                    &format!(
                        "not read: its {stated} bytes are more than Payload-Oxum leaves ({left})"
                    ),
                    &mut problems,
                ),
                Some(left) => {
                    let file = read_one(reader.as_mut(), name, *stated, *stated, &mut problems);
                    budget = Some(left - file.size.min(left));
                    file
                }
            }
        };
        files.entries.insert(name.clone(), file);
    }
    for name in listing.others {
        let file = PackFile {
            named: true,
            ..Default::default()
        };
        files.entries.insert(name, file);
    }
    Ok((files, problems))
}

fn unread(name: &str, size: u64, why: &str, problems: &mut Vec<Problem>) -> PackFile {
    problems.push(Problem::new(name, why));
    PackFile {
        size,
        named: true,
        ..Default::default()
    }
}

/// Reads one file through the source, at most `limit` bytes; more than `stated` (or than
/// `limit`) is a problem and leaves the file unread.
fn read_one(
    source: &mut dyn Source,
    name: &str,
    stated: u64,
    limit: u64,
    problems: &mut Vec<Problem>,
) -> PackFile {
    let keep = KEPT.contains(&name) && limit <= MANIFEST_LIMIT.max(CUSTODY_LIMIT);
    let outcome = source
        .open(name)
        .and_then(|reader| digest(reader.take(limit + 1), keep).map_err(|err| err.to_string()));
    match outcome {
        Ok((_, size, _)) if size > limit => unread(
            name,
            stated,
            &format!("not read: larger than the {limit} bytes it may have ({stated} stated)"),
            problems,
        ),
        Ok((sha256, size, bytes)) => PackFile {
            size,
            sha256: Some(sha256),
            bytes,
            named: false,
        },
        Err(why) => unread(name, stated, &why, problems),
    }
}

/// Streams a reader through SHA-256; keeps the bytes when asked.
fn digest(mut reader: impl Read, keep: bool) -> std::io::Result<(String, u64, Option<Vec<u8>>)> {
    let mut hasher = Sha256::new();
    let mut kept = keep.then(Vec::new);
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buf[..n]);
        if let Some(kept) = kept.as_mut() {
            kept.extend_from_slice(&buf[..n]);
        }
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size, kept))
}

/// What listing a source found besides its files.
#[derive(Default)]
struct Listing {
    /// Directories met.
    dirs: BTreeSet<String>,
    /// Entries that are there but are not files to read (links, FIFOs, …), already named.
    others: Vec<String>,
    /// Problems found while listing.
    problems: Vec<Problem>,
}

/// Where the files come from: a directory or a zip.
trait Source {
    /// Regular files (zip: safe file entries) by relative path, with their stated size.
    fn candidates(&self) -> Vec<(String, u64)>;
    /// The rest of the listing, handed over once.
    fn take_listing(&mut self) -> Listing;
    /// A reader over one candidate's bytes, or why it cannot be read.
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, String>;
}

/// A pack directory.
struct Dir {
    root: std::path::PathBuf,
    files: Vec<(String, u64)>,
    listing: Listing,
}

impl Dir {
    /// Lists the tree without following anything: directories are entered, regular files
    /// kept, everything else named.
    fn open(root: &Path) -> Result<Dir, EvidenceError> {
        use std::os::unix::fs::FileTypeExt;
        let mut dir = Dir {
            root: root.to_path_buf(),
            files: Vec::new(),
            listing: Listing::default(),
        };
        let mut stack = vec![String::new()];
        while let Some(rel) = stack.pop() {
            let full = root.join(&rel);
            for entry in std::fs::read_dir(&full).map_err(EvidenceError::io(&full))? {
                let entry = entry.map_err(EvidenceError::io(&full))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let kind = entry.file_type().map_err(EvidenceError::io(entry.path()))?;
                let what = if kind.is_dir() {
                    dir.listing.dirs.insert(child.clone());
                    stack.push(child);
                    continue;
                } else if kind.is_file() {
                    let size = entry
                        .metadata()
                        .map_err(EvidenceError::io(entry.path()))?
                        .len();
                    dir.files.push((child, size));
                    continue;
                } else if kind.is_symlink() {
                    "a symbolic link, not a regular file (not followed)"
                } else if kind.is_fifo() {
                    "a FIFO, not a regular file (not opened)"
                } else if kind.is_char_device() || kind.is_block_device() {
                    "a device, not a regular file (not opened)"
                } else if kind.is_socket() {
                    "a socket, not a regular file (not opened)"
                } else {
                    "not a regular file (not opened)"
                };
                dir.listing.problems.push(Problem::new(&child, what));
                dir.listing.others.push(child);
            }
        }
        dir.files.sort();
        Ok(dir)
    }
}

impl Source for Dir {
    fn candidates(&self) -> Vec<(String, u64)> {
        self.files.clone()
    }

    fn take_listing(&mut self) -> Listing {
        std::mem::take(&mut self.listing)
    }

    /// Opens without following a link and without blocking on a FIFO swapped in since
    /// the listing, then checks that what was opened is a regular file.
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, String> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(self.root.join(name))
            .map_err(|err| format!("cannot be opened: {err}"))?;
        let meta = file
            .metadata()
            .map_err(|err| format!("cannot be read: {err}"))?;
        if !meta.is_file() {
            return Err("not a regular file (changed while verifying)".into());
        }
        Ok(Box::new(file))
    }
}

/// A pack zip.
struct Zip {
    archive: zip::ZipArchive<std::fs::File>,
    /// Relative path → index of the entry.
    files: BTreeMap<String, (usize, u64)>,
    listing: Listing,
}

impl Zip {
    fn open(path: &Path) -> Result<Zip, EvidenceError> {
        let zerr = |e: zip::result::ZipError| EvidenceError::Zip {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut file = std::fs::File::open(path).map_err(EvidenceError::io(path))?;
        let mut raw_names = central_names(&mut file).map_err(EvidenceError::io(path))?;
        let archive = zip::ZipArchive::new(file).map_err(zerr)?;
        if raw_names.len() < archive.len() {
            // A layout the walk does not follow (data before the zip): the crate's names.
            raw_names = archive.file_names_raw().map(<[u8]>::to_vec).collect();
        }
        let mut zip = Zip {
            archive,
            files: BTreeMap::new(),
            listing: Listing::default(),
        };
        zip.list(raw_names);
        Ok(zip)
    }

    /// Sorts the central directory's names into files, directories and rejects.
    fn list(&mut self, raw_names: Vec<Vec<u8>>) {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for raw in &raw_names {
            *seen
                .entry(String::from_utf8_lossy(raw).into_owned())
                .or_default() += 1;
        }
        // The pack's folder: the one most safe, unique names are under.
        let mut tops: BTreeMap<&str, usize> = BTreeMap::new();
        for (n, _) in seen
            .iter()
            .filter(|(n, c)| **c == 1 && unsafe_name(n).is_none())
        {
            if let Some((top, _)) = n.split_once('/') {
                *tops.entry(top).or_default() += 1;
            }
        }
        let top = tops
            .into_iter()
            .max_by_key(|(_, count)| *count)
            .map(|(top, _)| top.to_string());
        for (written, count) in &seen {
            if *count > 1 {
                self.reject(
                    written,
                    format!("appears {count} times in the zip (which copy is the pack?)"),
                );
            } else if let Some(why) = unsafe_name(written) {
                self.reject(written, why.into());
            }
        }
        for index in 0..self.archive.len() {
            let Ok(entry) = self.archive.by_index_raw(index) else {
                continue;
            };
            let written = String::from_utf8_lossy(entry.name_raw()).into_owned();
            if seen.get(&written).copied().unwrap_or(0) != 1 || unsafe_name(&written).is_some() {
                continue;
            }
            let rel = match (&top, written.split_once('/')) {
                (Some(top), Some((first, rel))) if first == top => {
                    rel.trim_end_matches('/').to_string()
                }
                _ => {
                    self.listing.problems.push(Problem::new(
                        &written,
                        "outside the pack's top folder in the zip",
                    ));
                    continue;
                }
            };
            const S_IFMT: u32 = 0o170000;
            let special = entry
                .unix_mode()
                .map(|m| m & S_IFMT)
                .is_some_and(|t| t != 0 && t != 0o100000 && t != 0o040000);
            if entry.is_dir() {
                self.listing.dirs.insert(rel);
            } else if entry.is_symlink() || special {
                self.listing.problems.push(Problem::new(
                    &rel,
                    "a symbolic link or special file in the zip, not a regular file",
                ));
                self.listing.others.push(rel);
            } else {
                self.files.insert(rel, (index, entry.size()));
            }
        }
    }

    fn reject(&mut self, written: &str, what: String) {
        self.listing.problems.push(Problem::new(written, &what));
    }
}

/// Why a zip entry name cannot be part of a pack: absolute, `..` or `.` parts, empty
/// parts, backslashes, drive letters, control characters.
fn unsafe_name(name: &str) -> Option<&'static str> {
    let body = name.strip_suffix('/').unwrap_or(name);
    if name.starts_with('/') {
        Some("unsafe name in the zip: an absolute path")
    } else if name.contains('\\') {
        Some("unsafe name in the zip: a backslash")
    } else if name.chars().any(char::is_control) {
        Some("unsafe name in the zip: control characters")
    } else if body.split('/').any(|p| p == "..") {
        Some("unsafe name in the zip: leads out of the folder (..)")
    } else if body.split('/').any(|p| p.is_empty() || p == ".") {
        Some("unsafe name in the zip: an empty or `.` part")
    } else if body.as_bytes().get(1) == Some(&b':') {
        Some("unsafe name in the zip: a drive letter")
    } else {
        None
    }
}

impl Source for Zip {
    fn candidates(&self) -> Vec<(String, u64)> {
        self.files
            .iter()
            .map(|(name, (_, size))| (name.clone(), *size))
            .collect()
    }

    fn take_listing(&mut self) -> Listing {
        std::mem::take(&mut self.listing)
    }

    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, String> {
        let (index, _) = self.files.get(name).copied().ok_or("not in the zip")?;
        let entry = self
            .archive
            .by_index(index)
            .map_err(|err| format!("cannot be read from the zip: {err}"))?;
        Ok(Box::new(ZipRead(entry)))
    }
}

/// A zip entry's reader whose errors say they come from the zip.
struct ZipRead<'a>(zip::read::ZipFile<'a, std::fs::File>);

impl Read for ZipRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|err| {
            std::io::Error::new(err.kind(), format!("cannot be read from the zip: {err}"))
        })
    }
}

/// Every name in the zip's central directory, duplicates included (the zip crate keeps one
/// entry per name, so a second copy would go unseen). Reads the end record (and the ZIP64
/// locator) to find the directory, then walks its headers; stops at the first that is not one.
fn central_names(file: &mut std::fs::File) -> std::io::Result<Vec<Vec<u8>>> {
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(66_000);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    let Some(eocd) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(Vec::new());
    };
    let le32 = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
            .unwrap_or(0)
    };
    let mut start = le32(&tail, eocd + 16);
    if start == 0xffff_ffff && eocd >= 20 && tail[eocd - 20..].starts_with(b"PK\x06\x07") {
        let record = le32(&tail, eocd - 12) | (le32(&tail, eocd - 8) << 32);
        file.seek(SeekFrom::Start(record + 48))?;
        let mut at = [0u8; 8];
        file.read_exact(&mut at)?;
        start = u64::from_le_bytes(at);
    }
    file.seek(SeekFrom::Start(start.min(len)))?;
    let mut reader = std::io::BufReader::new(file.take(len - start.min(len)));
    let mut names = Vec::new();
    let mut header = [0u8; 46];
    while reader.read_exact(&mut header).is_ok() && header.starts_with(b"PK\x01\x02") {
        let le16 = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]) as usize;
        let (name_len, extra, comment) = (le16(28), le16(30), le16(32));
        let mut name = vec![0u8; name_len];
        reader.read_exact(&mut name)?;
        std::io::copy(
            &mut (&mut reader).take((extra + comment) as u64),
            &mut std::io::sink(),
        )?;
        names.push(name);
    }
    Ok(names)
}
