//! Expands the command line's inputs into messages, lazily and in a stable order:
//! inputs in the order given, directory entries and Maildir files sorted by name.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::listing::Listing;
use super::mbox::MboxMessages;
use super::sniff::{is_maildir, looks_like_mail, looks_like_mbox};
use super::{
    FileStamp, Format, FormatChoice, IngestFailure, Item, KnownFiles, RawMessage, maildir,
};
use crate::fsutil;

/// Work not yet expanded.
enum Job {
    /// A path named on the command line or met in a directory (`depth` > 0).
    Path {
        path: PathBuf,
        depth: usize,
    },
    /// The entries of a directory not expanded yet (`depth` is theirs); Maildir message
    /// files when `maildir`.
    Listing {
        listing: Listing,
        depth: usize,
        maildir: bool,
    },
    Failed(IngestFailure),
    Stdin,
}

/// The stream of messages from all inputs.
pub struct Inputs {
    jobs: VecDeque<Job>,
    mbox: Option<Box<dyn Iterator<Item = Result<RawMessage, IngestFailure>> + Send>>,
    format: FormatChoice,
    max_bytes: u64,
    max_depth: usize,
    known: Option<KnownFiles>,
    /// Follow symbolic links to directories met while walking (`--follow`).
    follow: bool,
    /// (device, inode) of every directory listed and file read this run: a directory
    /// is walked once (no symlink loops) and a file read once, whatever the links.
    seen_dirs: HashSet<(u64, u64)>,
    seen_files: HashSet<(u64, u64)>,
}

impl Inputs {
    /// `inputs` as given on the command line; `-` is standard input.
    pub fn new(inputs: &[String], format: FormatChoice, limits: &crate::config::Limits) -> Self {
        let jobs = inputs
            .iter()
            .map(|input| match input.as_str() {
                "-" => Job::Stdin,
                path => Job::Path {
                    path: PathBuf::from(path),
                    depth: 0,
                },
            })
            .collect();
        Inputs {
            jobs,
            mbox: None,
            format,
            max_bytes: limits.max_message_bytes,
            max_depth: limits.max_dir_depth,
            known: None,
            follow: false,
            seen_dirs: HashSet::new(),
            seen_files: HashSet::new(),
        }
    }

    /// Symbolic links to directories met while walking are followed (each directory is
    /// still listed once: loops end at the first repeat).
    pub fn following_links(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// Files an earlier run analysed are yielded as [`Item::Known`] without being read.
    pub fn with_known_files(mut self, known: KnownFiles) -> Self {
        self.known = Some(known);
        self
    }

    fn expand(&mut self, job: Job) -> Option<Item> {
        match job {
            Job::Stdin => self.open_stream(
                "-".into(),
                Box::new(BufReader::with_capacity(64 * 1024, io::stdin())),
                0,
            ),
            Job::Path { path, depth } => self.expand_path(path, depth),
            Job::Listing {
                mut listing,
                depth,
                maildir,
            } => {
                let path = listing.next()?;
                if listing.remaining() > 0 {
                    self.jobs.push_front(Job::Listing {
                        listing,
                        depth,
                        maildir,
                    });
                }
                if maildir {
                    self.read_maildir_file(path)
                } else {
                    self.expand_path(path, depth)
                }
            }
            Job::Failed(failure) => Some(Item::Failed(failure)),
        }
    }

    fn expand_path(&mut self, path: PathBuf, depth: usize) -> Option<Item> {
        let source = path.display().to_string();
        let walked = depth > 0;
        let metadata = match self.admit(&path, walked) {
            Ok(metadata) => metadata,
            Err(item) => return Some(item),
        };
        if !metadata.is_dir() {
            if let Some(known) = self.known_file(&source, &metadata) {
                return Some(known);
            }
            if !metadata.is_file() {
                // Named on the command line: a FIFO or device is read as a stream (as
                // `<(cmd)` gives one), bounded by the message size limit.
                return self.expand_stream(path, metadata.len());
            }
            return self.expand_file(path, walked, metadata.len());
        }
        let as_maildir = match self.format {
            FormatChoice::Maildir => true,
            FormatChoice::Auto => is_maildir(&path),
            _ => false,
        };
        let children = if as_maildir {
            let (listings, failures) = maildir::list(&path);
            let mut jobs: Vec<Job> = failures.into_iter().map(Job::Failed).collect();
            jobs.extend(listings.into_iter().map(|listing| Job::Listing {
                listing,
                depth: depth + 1,
                maildir: true,
            }));
            jobs
        } else if depth >= self.max_depth {
            let error = format!(
                "directory nested deeper than limits.max_dir_depth ({})",
                self.max_depth
            );
            return Some(failed(source, error));
        } else {
            match Listing::read(&path) {
                Ok(listing) => vec![Job::Listing {
                    listing,
                    depth: depth + 1,
                    maildir: false,
                }],
                Err(err) => return Some(failed(source, format!("cannot list directory: {err}"))),
            }
        };
        for job in children.into_iter().rev() {
            self.jobs.push_front(job);
        }
        None
    }

    /// Checks a path before anything opens it, without opening it: symbolic links to
    /// files are followed, to directories only on the command line or with `--follow`;
    /// met while walking, only directories and regular files pass (a FIFO, socket or
    /// device is named and passed over); a directory or file already met through another
    /// link is passed over. Returns the metadata of what the path names.
    fn admit(&mut self, path: &Path, walked: bool) -> Result<fs::Metadata, Item> {
        let source = || path.display().to_string();
        let skipped = |reason: String| Item::Skipped {
            source: source(),
            reason,
        };
        let own = fs::symlink_metadata(path)
            .map_err(|err| failed(source(), format!("cannot read input: {err}")))?;
        let metadata = if own.file_type().is_symlink() {
            fs::metadata(path).map_err(|err| {
                failed(
                    source(),
                    format!("cannot open the target of a symbolic link: {err}"),
                )
            })?
        } else {
            own.clone()
        };
        if metadata.is_dir() {
            if walked && own.file_type().is_symlink() && !self.follow {
                return Err(skipped(
                    "symbolic link to a directory, not followed (use --follow)".into(),
                ));
            }
            if let Some(id) = fsutil::file_id(&metadata)
                && !self.seen_dirs.insert(id)
                && walked
            {
                return Err(skipped(
                    "directory already read in this run (a link loop or a second link)".into(),
                ));
            }
        } else if metadata.is_file() {
            // A file named on the command line is read as asked, even twice.
            if let Some(id) = fsutil::file_id(&metadata)
                && !self.seen_files.insert(id)
                && walked
            {
                return Err(skipped(
                    "file already read in this run (through another link)".into(),
                ));
            }
        } else if walked {
            return Err(skipped(format!(
                "{}, not a regular file",
                fsutil::describe(&metadata.file_type())
            )));
        }
        Ok(metadata)
    }

    /// A FIFO or device named on the command line, read like standard input.
    fn expand_stream(&mut self, path: PathBuf, size: u64) -> Option<Item> {
        let source = path.display().to_string();
        match File::open(&path) {
            Ok(file) => self.open_stream(
                source,
                Box::new(BufReader::with_capacity(64 * 1024, file)),
                size,
            ),
            Err(err) => Some(failed(source, format!("cannot open: {err}"))),
        }
    }

    fn known_file(&self, source: &str, metadata: &fs::Metadata) -> Option<Item> {
        let known = self.known.as_ref()?;
        let stamp = stamp(source, metadata)?;
        known(&stamp).map(|id| Item::Known {
            source: stamp.source,
            id,
        })
    }

    fn read_maildir_file(&mut self, path: PathBuf) -> Option<Item> {
        let source = path.display().to_string();
        let metadata = match self.admit(&path, true) {
            Ok(metadata) if metadata.is_file() => metadata,
            Ok(metadata) => {
                return Some(Item::Skipped {
                    source,
                    reason: format!(
                        "{} in a Maildir folder, not a message",
                        fsutil::describe(&metadata.file_type())
                    ),
                });
            }
            Err(item) => return Some(item),
        };
        if let Some(known) = self.known_file(&source, &metadata) {
            return Some(known);
        }
        let date = maildir::date_from_name(&path);
        Some(match fsutil::open_regular(&path) {
            Ok((file, metadata)) => match read_bounded(file, self.max_bytes, metadata.len()) {
                Ok(bytes) => Item::Message(RawMessage::new(source, bytes, Format::Maildir, date)),
                Err(error) => failed(source, error),
            },
            Err(err) => failed(source, format!("cannot open: {err}")),
        })
    }

    /// `walked`: met while walking a directory (then a file that is not mail is passed
    /// over); a file named on the command line is always read as mail. `size`: its size
    /// when listed, to size the buffer.
    fn expand_file(&mut self, path: PathBuf, walked: bool, size: u64) -> Option<Item> {
        let source = path.display().to_string();
        let mut file = match fsutil::open_regular(&path) {
            Ok((file, _)) => file,
            Err(err) => return Some(failed(source, format!("cannot open: {err}"))),
        };
        // The head that decides what the file is goes straight into the message's own
        // buffer, sized from the listing: one message is read without a second copy.
        let capacity = size.min(self.max_bytes).saturating_add(1);
        let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        if let Err(err) = read_head(&mut file, &mut bytes) {
            return Some(failed(source, format!("cannot read: {err}")));
        }
        if walked && self.format == FormatChoice::Auto && !looks_like_mail(&bytes) {
            return Some(Item::NotMail(source));
        }
        if self.is_mbox(&bytes) {
            let reader = BufReader::with_capacity(64 * 1024, io::Cursor::new(bytes).chain(file));
            self.mbox = Some(Box::new(MboxMessages::new(
                source,
                Box::new(reader),
                self.max_bytes,
            )));
            return None;
        }
        let rest = self
            .max_bytes
            .saturating_add(1)
            .saturating_sub(bytes.len() as u64);
        Some(match read_rest(file.take(rest), bytes, self.max_bytes) {
            Ok(bytes) => Item::Message(RawMessage::new(source, bytes, Format::Eml, None)),
            Err(error) => failed(source, error),
        })
    }

    /// True when an input starting with `head` is read as an mbox: by `--format`, or by
    /// its first line.
    fn is_mbox(&self, head: &[u8]) -> bool {
        match self.format {
            FormatChoice::Mbox => true,
            FormatChoice::Eml | FormatChoice::Maildir => false,
            FormatChoice::Auto => looks_like_mbox(head),
        }
    }

    /// Reads a file or stdin as one message or as an mbox, by `--format` or by sniffing.
    /// `size` is the file's size when known (0 for stdin): one allocation of the right
    /// size instead of a growing buffer.
    fn open_stream(
        &mut self,
        source: String,
        mut reader: Box<dyn BufRead + Send>,
        size: u64,
    ) -> Option<Item> {
        let head = match reader.fill_buf() {
            Ok(head) => head,
            Err(err) => return Some(failed(source, format!("cannot read: {err}"))),
        };
        if self.is_mbox(head) {
            self.mbox = Some(Box::new(MboxMessages::new(source, reader, self.max_bytes)));
            return None;
        }
        Some(match read_bounded(reader, self.max_bytes, size) {
            Ok(bytes) => Item::Message(RawMessage::new(source, bytes, Format::Eml, None)),
            Err(error) => failed(source, error),
        })
    }
}

impl Iterator for Inputs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(mbox) = &mut self.mbox {
                match mbox.next() {
                    Some(read) => return Some(read.into()),
                    None => self.mbox = None,
                }
            }
            let job = self.jobs.pop_front()?;
            if let Some(item) = self.expand(job) {
                return Some(item);
            }
        }
    }
}

fn failed(source: String, error: String) -> Item {
    Item::Failed(IngestFailure::new(source, error))
}

/// Path, size and modification time of a regular file.
fn stamp(source: &str, metadata: &fs::Metadata) -> Option<FileStamp> {
    let modified = metadata.modified().ok()?;
    let modified_ns = match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    };
    Some(FileStamp {
        source: source.to_string(),
        size: metadata.len(),
        modified_ns,
    })
}

/// The stamp of a file, for recording it in the store after analysis.
pub fn file_stamp(source: &str) -> Option<FileStamp> {
    let metadata = fs::metadata(source).ok()?;
    metadata
        .is_file()
        .then(|| stamp(source, &metadata))
        .flatten()
}

/// Directory entries sorted by name, hidden ones (`.name`) left out.
fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut children = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().as_encoded_bytes().first() != Some(&b'.') {
            children.push(entry.path());
        }
    }
    children.sort();
    Ok(children)
}

/// Reads to the end, refusing more than `max_bytes`; `size_hint` (the file's size, or 0)
/// sizes the buffer, within the limit.
fn read_bounded(reader: impl Read, max_bytes: u64, size_hint: u64) -> Result<Vec<u8>, String> {
    let capacity = size_hint.min(max_bytes).saturating_add(1);
    let bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    read_rest(reader.take(max_bytes.saturating_add(1)), bytes, max_bytes)
}

/// How much of a file is read before deciding what it is (one read call at most).
const HEAD_BYTES: usize = 64 * 1024;

/// Reads the start of a file into `bytes` (empty, with its capacity set): one read
/// call, retried only when interrupted.
fn read_head(file: &mut File, bytes: &mut Vec<u8>) -> io::Result<()> {
    let want = HEAD_BYTES.min(bytes.capacity().max(1));
    bytes.resize(want, 0);
    let read = loop {
        match file.read(bytes) {
            Ok(read) => break read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                bytes.clear();
                return Err(err);
            }
        }
    };
    bytes.truncate(read);
    Ok(())
}

/// Appends what `reader` has left to `bytes`, refusing a total over `max_bytes`.
fn read_rest(mut reader: impl Read, mut bytes: Vec<u8>, max_bytes: u64) -> Result<Vec<u8>, String> {
    reader
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read: {err}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "message larger than limits.max_message_bytes ({max_bytes} bytes)"
        ));
    }
    Ok(bytes)
}

/// The total size in bytes of all inputs, for a progress bar; `None` when an input is
/// stdin. Walks directories without reading any file; links met while walking are not
/// followed and each directory is counted once, so the walk ends whatever the links.
pub fn total_size(inputs: &[String], max_depth: usize) -> Option<u64> {
    fn walk(path: &Path, depth: usize, max_depth: usize, seen: &mut HashSet<(u64, u64)>) -> u64 {
        let metadata = if depth == 0 {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        };
        match metadata {
            Ok(meta)
                if meta.is_dir()
                    && depth < max_depth
                    && fsutil::file_id(&meta).is_none_or(|id| seen.insert(id)) =>
            {
                sorted_entries(path)
                    .map(|children| {
                        children
                            .iter()
                            .map(|c| walk(c, depth + 1, max_depth, seen))
                            .sum()
                    })
                    .unwrap_or(0)
            }
            Ok(meta) if meta.is_file() => meta.len(),
            _ => 0,
        }
    }
    if inputs.iter().any(|input| input == "-") {
        return None;
    }
    let mut seen = HashSet::new();
    Some(
        inputs
            .iter()
            .map(|input| walk(Path::new(input), 0, max_depth + 1, &mut seen))
            .sum(),
    )
}
