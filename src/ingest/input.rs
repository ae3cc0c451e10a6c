//! Expands the command line's inputs into messages, lazily and in a stable order:
//! inputs in the order given, directory entries sorted by name.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::maildir::MaildirMessages;
use super::mbox::MboxMessages;
use super::sniff::{is_maildir, looks_like_mail, looks_like_mbox};
use super::{Format, FormatChoice, IngestFailure, Item, RawMessage};

/// Work not yet expanded.
enum Job {
    Path { path: PathBuf, depth: usize },
    Stdin,
}

/// The stream of messages from all inputs.
pub struct Inputs {
    jobs: VecDeque<Job>,
    current: Option<Box<dyn Iterator<Item = Item>>>,
    format: FormatChoice,
    max_bytes: u64,
    max_depth: usize,
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
            current: None,
            format,
            max_bytes: limits.max_message_bytes,
            max_depth: limits.max_dir_depth,
        }
    }

    fn expand(&mut self, job: Job) -> Option<Item> {
        match job {
            Job::Stdin => self.open_stream("-".into(), Box::new(io::stdin().lock())),
            Job::Path { path, depth } => self.expand_path(path, depth),
        }
    }

    fn expand_path(&mut self, path: PathBuf, depth: usize) -> Option<Item> {
        let source = path.display().to_string();
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) => return Some(Err(failure(source, format!("cannot read input: {err}")))),
        };
        if !metadata.is_dir() {
            return self.expand_file(path, depth > 0);
        }
        if self.format == FormatChoice::Maildir
            || (self.format == FormatChoice::Auto && is_maildir(&path))
        {
            self.current = Some(Box::new(MaildirMessages::open(&path, self.max_bytes)));
            return None;
        }
        if depth >= self.max_depth {
            return Some(Err(failure(
                source,
                format!(
                    "directory nested deeper than limits.max_dir_depth ({})",
                    self.max_depth
                ),
            )));
        }
        match sorted_entries(&path) {
            Ok(children) => {
                for child in children.into_iter().rev() {
                    self.jobs.push_front(Job::Path {
                        path: child,
                        depth: depth + 1,
                    });
                }
                None
            }
            Err(err) => Some(Err(failure(
                source,
                format!("cannot list directory: {err}"),
            ))),
        }
    }

    /// `walked`: met while walking a directory (then a file that is not mail is passed
    /// over); a file named on the command line is always read as mail.
    fn expand_file(&mut self, path: PathBuf, walked: bool) -> Option<Item> {
        let source = path.display().to_string();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) => return Some(Err(failure(source, format!("cannot open: {err}")))),
        };
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        if walked && self.format == FormatChoice::Auto {
            match reader.fill_buf() {
                Ok(head) if !looks_like_mail(head) => return Some(Err(not_mail(source))),
                Ok(_) => {}
                Err(err) => return Some(Err(failure(source, format!("cannot read: {err}")))),
            }
        }
        self.open_stream(source, Box::new(reader))
    }

    /// Reads a file or stdin as one message or as an mbox, by `--format` or by sniffing.
    fn open_stream(&mut self, source: String, mut reader: Box<dyn BufRead>) -> Option<Item> {
        let is_mbox = match self.format {
            FormatChoice::Mbox => true,
            FormatChoice::Eml | FormatChoice::Maildir => false,
            FormatChoice::Auto => match reader.fill_buf() {
                Ok(head) => looks_like_mbox(head),
                Err(err) => return Some(Err(failure(source, format!("cannot read: {err}")))),
            },
        };
        if is_mbox {
            self.current = Some(Box::new(MboxMessages::new(source, reader, self.max_bytes)));
            return None;
        }
        Some(
            read_bounded(reader, self.max_bytes)
                .map(|bytes| RawMessage::new(source.clone(), bytes, Format::Eml, None))
                .map_err(|error| failure(source, error)),
        )
    }
}

impl Iterator for Inputs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(current) = &mut self.current {
                match current.next() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let job = self.jobs.pop_front()?;
            if let Some(item) = self.expand(job) {
                return Some(item);
            }
        }
    }
}

fn failure(source: String, error: String) -> IngestFailure {
    IngestFailure::new(source, error)
}

fn not_mail(source: String) -> IngestFailure {
    IngestFailure {
        source,
        error: "not a mail message (no header at its start)".into(),
        not_mail: true,
    }
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

/// Reads a whole file, refusing one over `max_bytes`.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|err| format!("cannot open: {err}"))?;
    read_bounded(file, max_bytes)
}

fn read_bounded(reader: impl Read, max_bytes: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
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
/// stdin or cannot be sized. Walks directories without reading any file.
pub fn total_size(inputs: &[String], max_depth: usize) -> Option<u64> {
    fn walk(path: &Path, depth: usize, max_depth: usize) -> u64 {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() && depth < max_depth => sorted_entries(path)
                .map(|children| children.iter().map(|c| walk(c, depth + 1, max_depth)).sum())
                .unwrap_or(0),
            Ok(meta) if meta.is_file() => meta.len(),
            _ => 0,
        }
    }
    if inputs.iter().any(|input| input == "-") {
        return None;
    }
    Some(
        inputs
            .iter()
            .map(|input| walk(Path::new(input), 0, max_depth + 1))
            .sum(),
    )
}
