//! Bagging: lays out the pack as a BagIt 1.0 bag (RFC 8493) and writes it — payload
//! under `data/`, `bagit.txt`, `bag-info.txt` (case metadata, `Payload-Oxum`),
//! `manifest-sha256.txt`, the public key, `tagmanifest-sha256.txt`, its Ed25519 signature
//! and its RFC 3161 timestamp request — then, with `--zip`, the same bag as one zip.
//!
//! [`make`] runs the whole pack: collect, look up, analyse, render, log custody, bag.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::Analyzer;
use crate::enrich::{Enricher, Jurisdictions};
use crate::ingest::Item;

use super::collect::{self, Collected, pretty};
use super::custody::{self, Log};
use super::parties::{self, Involved, Party};
use super::provenance::Used;
use super::report::{self, Exhibit};
use super::{EvidenceError, PackOptions, memo, names, sign, timestamp};

/// Writes payload files and remembers their hashes.
pub struct BagWriter {
    root: PathBuf,
    /// Payload path → (SHA-256, size).
    payload: BTreeMap<String, (String, u64)>,
}

impl BagWriter {
    /// Creates the bag directory; it must not exist or be empty, so nothing of the
    /// user's is ever overwritten.
    pub fn create(root: &Path) -> Result<BagWriter, EvidenceError> {
        if root.exists() {
            let empty = std::fs::read_dir(root)
                .map_err(EvidenceError::io(root))?
                .next()
                .is_none();
            if !empty {
                return Err(EvidenceError::Usage(format!(
                    "{} exists and is not empty; give a new folder for the pack",
                    root.display()
                )));
            }
        }
        std::fs::create_dir_all(root.join("data")).map_err(EvidenceError::io(root))?;
        Ok(BagWriter {
            root: root.to_path_buf(),
            payload: BTreeMap::new(),
        })
    }

    /// Writes a payload file (a path under `data/` built from hashes and fixed names).
    /// A path written before is left as it is (same name = same content).
    pub fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        assert!(safe_path(path), "unsafe bag path {path:?}");
        if self.payload.contains_key(path) {
            return Ok(());
        }
        self.write_file(path, bytes)?;
        self.payload.insert(
            path.to_string(),
            (super::sha256_hex(bytes), bytes.len() as u64),
        );
        Ok(())
    }

    fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(EvidenceError::io(parent))?;
        }
        std::fs::write(&full, bytes).map_err(EvidenceError::io(&full))
    }

    /// Payload paths under `prefix` with their hashes, as custody items.
    pub fn items(&self, prefix: &str) -> Vec<custody::Item> {
        self.payload
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(path, (sha, _))| custody::Item {
                name: path.clone(),
                sha256: sha.clone(),
                time: None,
            })
            .collect()
    }

    /// Writes the tag files, signs the tag manifest and writes the timestamp request.
    /// Returns the SHA-256 of the tag manifest.
    fn finish(&self, info: &str, key: &SigningKey) -> Result<String, EvidenceError> {
        let manifest: String = self
            .payload
            .iter()
            .map(|(path, (sha, _))| format!("{sha}  {path}\n"))
            .collect();
        let tag_files: [(&str, Vec<u8>); 4] = [
            (
                names::BAGIT,
                b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
            ),
            (names::BAG_INFO, info.as_bytes().to_vec()),
            (names::MANIFEST, manifest.into_bytes()),
            (
                names::PUBLIC_KEY,
                sign::public_key_text(&key.verifying_key()).into_bytes(),
            ),
        ];
        let mut tagmanifest: Vec<(&str, String)> = Vec::new();
        for (name, bytes) in &tag_files {
            self.write_file(name, bytes)?;
            tagmanifest.push((name, super::sha256_hex(bytes)));
        }
        tagmanifest.sort();
        let tagmanifest: String = tagmanifest
            .iter()
            .map(|(name, sha)| format!("{sha}  {name}\n"))
            .collect();
        self.write_file(names::TAGMANIFEST, tagmanifest.as_bytes())?;
        self.write_file(
            names::SIGNATURE,
            sign::signature_text(key, tagmanifest.as_bytes()).as_bytes(),
        )?;
        let digest: [u8; 32] = Sha256::digest(tagmanifest.as_bytes()).into();
        self.write_file(names::TSQ, &timestamp::request(&digest))?;
        Ok(hex::encode(digest))
    }

    /// `Payload-Oxum`: total bytes and number of payload files.
    fn oxum(&self) -> String {
        let bytes: u64 = self.payload.values().map(|(_, size)| size).sum();
        format!("{bytes}.{}", self.payload.len())
    }
}

/// Only `[A-Za-z0-9._-]` components under `data/`, no `..`.
fn safe_path(path: &str) -> bool {
    path.starts_with("data/")
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// `data/findings.json`.
#[derive(Serialize)]
struct Findings<'a> {
    case: &'a str,
    tool: &'a str,
    #[serde(flatten)]
    collected: &'a Collected,
    parties: &'a [Party],
    jurisdictions: &'a [Involved],
    /// The data files the run read, with SHA-256 and version.
    data_files: &'a [Used],
    /// The templates the pages were rendered from.
    templates: Vec<Used>,
}

/// What a finished pack run reports.
#[derive(Debug, Clone)]
pub struct PackOutcome {
    pub dir: PathBuf,
    pub zip: Option<PathBuf>,
    pub messages: usize,
    pub failed: usize,
    pub not_mail: usize,
    pub lookups: usize,
    pub files: usize,
    pub tagmanifest_sha256: String,
    pub fingerprint: String,
}

/// The whole run: collect the exhibits, save the lookups, write the findings, the report,
/// the memo and the custody log, then bag and sign (and zip).
pub fn make(
    analyzer: &Analyzer,
    inputs: impl Iterator<Item = Item>,
    enricher: Option<&Enricher>,
    jurisdictions: Option<&Jurisdictions>,
    data_files: &[Used],
    key: &SigningKey,
    options: &PackOptions,
) -> Result<PackOutcome, EvidenceError> {
    let mut bag = BagWriter::create(&options.out)?;
    let mut log = Log::new(options);
    let started = log.now();
    let mut collected = collect::messages(analyzer, inputs, &mut bag)?;
    let sources = collected
        .messages
        .iter()
        .map(|m| custody::Item {
            name: crate::output::printable(&m.record.source),
            sha256: m.record.id.clone().unwrap_or_default(),
            time: None,
        })
        .collect();
    let mut outputs = bag.items("data/originals/");
    outputs.extend(bag.items("data/extracted/"));
    log.step(
        started,
        "collect",
        "read the inputs without change; saved each byte for byte and each carved original with its byte range",
        sources,
        outputs,
    );
    if let Some(enricher) = enricher {
        let started = log.now();
        collect::lookups(enricher, &mut collected, &mut bag)?;
        log.step(
            started,
            "lookup",
            "saved the raw RDAP, WHOIS and DNS answers behind the findings (from the lookup cache); each answer carries the time the server gave it",
            Vec::new(),
            lookup_items(&bag, &collected),
        );
    }
    let started = log.now();
    // Only spam is held against anyone: our own bounces and unknown verdicts name no one.
    let records: Vec<&crate::output::Record> = collected
        .messages
        .iter()
        .map(|m| &m.record)
        .filter(|r| report::is_spam(r))
        .collect();
    let parties = parties::derive(&records, jurisdictions);
    let involved = parties::involved(&records);
    let findings = Findings {
        case: &options.case,
        tool: &options.tool,
        collected: &collected,
        parties: &parties,
        jurisdictions: &involved,
        data_files,
        templates: super::provenance::templates(&options.tool),
    };
    bag.put(names::FINDINGS, &pretty(&findings))?;
    log.step(
        started,
        "analyze",
        "classified each message, found the origin by the verified Received walk, listed advertised contacts and responsible parties",
        bag.items("data/originals/"),
        bag.items(names::FINDINGS),
    );
    let started = log.now();
    let fingerprint = sign::fingerprint(&key.verifying_key());
    let exhibits = exhibit_list(&bag, &collected);
    let made = super::utc(log.now());
    let input = report::Input {
        options,
        collected: &collected,
        parties: &parties,
        exhibits: &exhibits,
        fingerprint: &fingerprint,
        made: &made,
    };
    bag.put(names::REPORT, report::to_string(&input)?.as_bytes())?;
    let mut memo_html = Vec::new();
    memo::write(&input, &involved, jurisdictions, &mut memo_html)?;
    bag.put(names::MEMO, &memo_html)?;
    if options.pdf {
        for (page, pdf) in [
            (names::REPORT, names::REPORT_PDF),
            (names::MEMO, names::MEMO_PDF),
        ] {
            bag.put(pdf, &super::pdf::print(&options.out.join(page))?)?;
        }
    }
    let mut rendered = bag.items(names::REPORT);
    rendered.extend(bag.items(names::MEMO));
    rendered.extend(bag.items(names::REPORT_PDF));
    rendered.extend(bag.items(names::MEMO_PDF));
    log.step(
        started,
        "render",
        if options.pdf {
            "rendered the report and the legal memo from the findings, and printed both to PDF with headless Chromium"
        } else {
            "rendered the report and the legal memo from the findings"
        },
        bag.items(names::FINDINGS),
        rendered,
    );
    bag.put(names::CUSTODY, &log.to_bytes())?;
    let info = bag_info(options, &collected, &bag, &fingerprint, log.now());
    let tagmanifest_sha256 = bag.finish(&info, key)?;
    let zip = if options.zip {
        Some(zip_dir(&options.out)?)
    } else {
        None
    };
    Ok(PackOutcome {
        dir: options.out.clone(),
        zip,
        messages: collected.messages.len(),
        failed: collected.failed.len(),
        not_mail: collected.not_mail.len(),
        lookups: collected.lookups.len(),
        files: bag.payload.len(),
        tagmanifest_sha256,
        fingerprint,
    })
}

/// The saved answers as custody items, each with the time its server answered.
fn lookup_items(bag: &BagWriter, collected: &Collected) -> Vec<custody::Item> {
    let times: BTreeMap<&str, &str> = collected
        .lookups
        .iter()
        .flat_map(|l| {
            [
                (l.path.as_str(), l.time_utc.as_str()),
                (l.sidecar.as_str(), l.time_utc.as_str()),
            ]
        })
        .collect();
    bag.items("data/lookups/")
        .into_iter()
        .map(|item| custody::Item {
            time: times.get(item.name.as_str()).map(|t| t.to_string()),
            ..item
        })
        .collect()
}

/// Every payload file written so far, described.
fn exhibit_list(bag: &BagWriter, collected: &Collected) -> Vec<Exhibit> {
    let mut what: BTreeMap<&str, String> = BTreeMap::new();
    for m in &collected.messages {
        what.entry(&m.exhibit).or_insert_with(|| {
            format!(
                "Exhibit {}: input message as read ({})",
                m.number,
                crate::output::printable(&m.record.source)
            )
        });
        if let Some(x) = &m.extracted {
            what.insert(&x.path, format!("spam carved from exhibit {}", m.number));
            what.insert(
                &x.sidecar,
                format!("where exhibit {}'s carved copy lies in it", m.number),
            );
        }
    }
    for l in &collected.lookups {
        what.insert(
            &l.path,
            format!(
                "raw {} answer from {} to {}",
                l.record.kind, l.record.server, l.record.query
            ),
        );
        what.insert(
            &l.sidecar,
            format!("server, query and time of that {} answer", l.record.kind),
        );
    }
    let mut rows: Vec<Exhibit> = bag
        .payload
        .iter()
        .map(|(path, (sha, size))| Exhibit {
            what: what
                .get(path.as_str())
                .cloned()
                .unwrap_or_else(|| match path.as_str() {
                    names::FINDINGS => "everything found, with reasons (JSON)".into(),
                    _ => String::new(),
                }),
            path: path.clone(),
            sha256: sha.clone(),
            size: *size,
        })
        .collect();
    let ranks = exhibit_ranks(collected);
    let rank = |path: &str| match ranks.get(path) {
        Some(rank) => *rank,
        None if path.starts_with("data/lookups/") => (1, 0, 0),
        None => (2, 0, 0),
    };
    rows.sort_by(|a, b| (rank(&a.path), &a.path).cmp(&(rank(&b.path), &b.path)));
    rows
}

/// Sort keys: originals, each followed by what was carved from it, in exhibit order;
/// then the lookups and the findings.
fn exhibit_ranks(collected: &Collected) -> BTreeMap<&str, (usize, usize, usize)> {
    let mut ranks = BTreeMap::new();
    for m in collected.messages.iter().rev() {
        ranks.insert(m.exhibit.as_str(), (0, m.number, 0));
        if let Some(x) = &m.extracted {
            ranks.insert(x.path.as_str(), (0, m.number, 1));
            ranks.insert(x.sidecar.as_str(), (0, m.number, 2));
        }
    }
    ranks
}

/// One `Label: value` line; control characters become spaces.
fn info_line(label: &str, value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{label}: {}\n", clean.trim())
}

fn bag_info(
    options: &PackOptions,
    collected: &Collected,
    bag: &BagWriter,
    fingerprint: &str,
    now: u64,
) -> String {
    let mut info = String::new();
    if let Some(org) = &options.organisation {
        info += &info_line("Source-Organization", org);
    }
    info += &info_line("Contact-Name", &options.operator);
    if let Some(contact) = &options.contact {
        let label = if contact.contains('@') {
            "Contact-Email"
        } else {
            "Contact-Phone"
        };
        info += &info_line(label, contact);
    }
    info += &info_line("External-Identifier", &options.case);
    info += &info_line(
        "External-Description",
        &format!(
            "Evidence pack of {} messages (backscatter analysis): originals, carved spam, registry answers, findings, custody log, report and legal memo",
            collected.messages.len()
        ),
    );
    info += &info_line("Bagging-Date", &super::utc(now)[..10]);
    info += &info_line("Bag-Software-Agent", &options.tool);
    info += &info_line("Bag-Signing-Key-Fingerprint", fingerprint);
    info += &info_line("Payload-Oxum", &bag.oxum());
    info
}

/// Writes `<dir>.zip`: the bag under one top folder named like the directory, entries
/// sorted, fixed times, so the same bag gives the same zip.
pub fn zip_dir(dir: &Path) -> Result<PathBuf, EvidenceError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pack".into());
    let zip_path = dir.with_file_name(format!("{name}.zip"));
    let zerr = |e: zip::result::ZipError| EvidenceError::Zip {
        path: zip_path.display().to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::create(&zip_path).map_err(EvidenceError::io(&zip_path))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for rel in list_files(dir)? {
        let bytes = std::fs::read(dir.join(&rel)).map_err(EvidenceError::io(dir.join(&rel)))?;
        zip.start_file(format!("{name}/{rel}"), options)
            .map_err(zerr)?;
        zip.write_all(&bytes)
            .map_err(EvidenceError::io(&zip_path))?;
    }
    zip.finish().map_err(zerr)?;
    Ok(zip_path)
}

/// Every file under `dir`, as sorted `/`-separated relative paths.
pub fn list_files(dir: &Path) -> Result<Vec<String>, EvidenceError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        for entry in std::fs::read_dir(&full).map_err(EvidenceError::io(&full))? {
            let entry = entry.map_err(EvidenceError::io(&full))?;
            let child = rel.join(entry.file_name());
            if entry
                .file_type()
                .map_err(EvidenceError::io(&full))?
                .is_dir()
            {
                stack.push(child);
            } else {
                out.push(
                    child
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hash_named_paths_under_data() {
        assert!(safe_path("data/originals/ab12.eml"));
        assert!(!safe_path("data/../x"));
        assert!(!safe_path("bagit.txt"));
        assert!(!safe_path("data/a b"));
        assert!(!safe_path("data//x"));
    }
}
