//! `blowback verify`: checks a pack (its directory or its zip) without trusting anything
//! in it — recomputes the SHA-256 of every file against both manifests and
//! `Payload-Oxum`, checks the Ed25519 signature over the tag manifest (optionally against
//! a key the checker holds), the timestamp request and response, and the custody chain.
//! Every changed, missing or extra file is named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{EvidenceError, custody, names, sign, timestamp};

/// One problem, naming the file it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and messages can come from a hostile pack: no control characters out.
        let printable = crate::output::printable;
        write!(f, "{}: {}", printable(&self.file), printable(&self.what))
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub problems: Vec<Problem>,
    pub files: usize,
    pub fingerprint: Option<String>,
    /// The timestamp's time when a response is in the bag and matches.
    pub timestamp: Option<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub use super::load::{Files, PackFile, load};

impl Problem {
    pub fn new(file: &str, what: &str) -> Problem {
        Problem {
            file: file.to_string(),
            what: what.to_string(),
        }
    }
}

/// Checks a loaded bag. `expected` is the public key the checker trusts, if any.
pub fn check(files: &Files, expected: Option<&ed25519_dalek::VerifyingKey>) -> Verdict {
    let mut verdict = Verdict {
        files: files.entries.len(),
        ..Default::default()
    };
    let mut problem = |file: &str, what: String| verdict.problems.push(Problem::new(file, &what));
    match kept(files, names::BAGIT, &mut problem).map(String::from_utf8_lossy) {
        Some(t)
            if t.contains("BagIt-Version: 1.0")
                && t.contains("Tag-File-Character-Encoding: UTF-8") => {}
        Some(_) => problem(names::BAGIT, "not a BagIt 1.0 declaration".into()),
        None => {}
    }
    let payload = manifest(files, names::MANIFEST, &mut problem);
    let tags = manifest(files, names::TAGMANIFEST, &mut problem);
    for (name, file) in &files.entries {
        let known = payload.contains(name)
            || tags.contains(name)
            || [names::TAGMANIFEST, names::SIGNATURE, names::TSQ, names::TSR]
                .contains(&name.as_str());
        if !known && !file.named {
            problem(name, "extra file: not in the manifests".into());
        }
    }
    for required in [names::MANIFEST, names::BAG_INFO, names::PUBLIC_KEY] {
        if files.contains(required) && !tags.contains(required) {
            problem(names::TAGMANIFEST, format!("does not cover {required}"));
        }
    }
    oxum(files, &payload, &mut problem);
    let (fingerprint, stamp) = signature_and_stamp(files, expected, &mut problem);
    let hashes: BTreeMap<String, String> = files
        .entries
        .iter()
        .filter_map(|(name, f)| match &f.sha256 {
            Some(sha) => Some((name.clone(), sha.clone())),
            // Named when read; the custody log then says it could not be checked.
            None => f
                .named
                .then(|| (name.clone(), "not checked (see above)".into())),
        })
        .collect();
    if let Some(log) = kept(files, names::CUSTODY, &mut problem) {
        for what in custody::check(log, &hashes) {
            problem(names::CUSTODY, what);
        }
    }
    verdict.fingerprint = fingerprint;
    verdict.timestamp = stamp;
    verdict
}

/// The bytes of a file the checks need; names it when it is not there (unless reading it
/// already named it).
fn kept<'a>(
    files: &'a Files,
    name: &str,
    problem: &mut impl FnMut(&str, String),
) -> Option<&'a [u8]> {
    let bytes = files.bytes(name);
    match files.get(name) {
        None => problem(name, files.absent(name).into()),
        Some(f) if bytes.is_none() && !f.named => problem(name, "too large to check".into()),
        _ => {}
    }
    bytes
}

/// Checks one manifest's hashes; returns the paths it lists.
fn manifest(files: &Files, name: &str, problem: &mut impl FnMut(&str, String)) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    let Some(bytes) = kept(files, name, problem) else {
        return listed;
    };
    for (n, line) in Files::manifest_lines(bytes) {
        let Some((hash, path)) = line else {
            problem(name, format!("line {n}: not `<sha256> <path>`"));
            continue;
        };
        match files.get(&path) {
            None => problem(&path, format!("{} (listed in {name})", files.absent(&path))),
            Some(file) => match &file.sha256 {
                None => {}
                Some(sha) if !sha.eq_ignore_ascii_case(&hash) => problem(
                    &path,
                    format!("changed: SHA-256 is {sha}, {name} says {hash}"),
                ),
                Some(_) => {}
            },
        }
        if name == names::MANIFEST && !path.starts_with("data/") {
            problem(name, format!("line {n}: {path} is not under data/"));
        }
        listed.insert(path);
    }
    if name == names::MANIFEST {
        for (path, _) in files
            .entries
            .iter()
            .filter(|(p, f)| p.starts_with("data/") && !listed.contains(*p) && !f.named)
        {
            problem(path, format!("extra file: not in {name}"));
        }
    }
    listed
}

fn oxum(files: &Files, payload: &BTreeSet<String>, problem: &mut impl FnMut(&str, String)) {
    let info = files
        .bytes(names::BAG_INFO)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let stated = info
        .lines()
        .find_map(|l| l.strip_prefix("Payload-Oxum:"))
        .map(|v| v.trim().to_string());
    let bytes: u64 = payload
        .iter()
        .filter_map(|p| files.get(p))
        .map(|f| f.size)
        .sum();
    let actual = format!("{bytes}.{}", payload.len());
    match stated {
        Some(stated) if stated == actual => {}
        Some(stated) => problem(
            names::BAG_INFO,
            format!("Payload-Oxum {stated}, payload is {actual}"),
        ),
        None => problem(names::BAG_INFO, "no Payload-Oxum".into()),
    }
}

/// Checks the signature (and the expected key), the request and any response.
fn signature_and_stamp(
    files: &Files,
    expected: Option<&ed25519_dalek::VerifyingKey>,
    problem: &mut impl FnMut(&str, String),
) -> (Option<String>, Option<String>) {
    let Some(tagmanifest) = files.bytes(names::TAGMANIFEST) else {
        return (None, None);
    };
    let key = files
        .bytes(names::PUBLIC_KEY)
        .and_then(|b| sign::parse_public_key(&String::from_utf8_lossy(b)));
    let fingerprint = key.as_ref().map(sign::fingerprint);
    match (&key, files.bytes(names::SIGNATURE)) {
        (None, _) => problem(
            names::PUBLIC_KEY,
            "missing or not an Ed25519 public key".into(),
        ),
        (_, None) => problem(
            names::SIGNATURE,
            "missing: the tag manifest is not signed".into(),
        ),
        (Some(key), Some(sig)) => {
            if let Err(why) = sign::check(key, tagmanifest, &String::from_utf8_lossy(sig)) {
                problem(
                    names::SIGNATURE,
                    format!("signature over {}: {why}", names::TAGMANIFEST),
                );
            }
        }
    }
    if let (Some(expected), Some(key)) = (expected, &key)
        && expected != key
    {
        problem(
            names::PUBLIC_KEY,
            format!(
                "signed with {}, not with the expected key {}",
                sign::fingerprint(key),
                sign::fingerprint(expected)
            ),
        );
    }
    let digest: [u8; 32] = Sha256::digest(tagmanifest).into();
    match files.bytes(names::TSQ) {
        None => problem(names::TSQ, files.absent(names::TSQ).into()),
        Some(tsq) if *tsq == timestamp::request(&digest) => {}
        Some(_) => problem(
            names::TSQ,
            format!("is not the timestamp request for {}", names::TAGMANIFEST),
        ),
    }
    let stamp = match files
        .bytes(names::TSR)
        .map(|r| timestamp::check_response(r, &digest))
    {
        Some(Ok(stamp)) => Some(stamp.gen_time),
        Some(Err(why)) => {
            problem(names::TSR, why);
            None
        }
        None => None,
    };
    (fingerprint, stamp)
}

/// Checks a response against a pack directory's request and adds it to the pack.
pub fn add_response(pack: &Path, tsr: &[u8]) -> Result<String, EvidenceError> {
    if !pack.is_dir() {
        return Err(EvidenceError::Usage(format!(
            "{}: a timestamp response is added to a pack directory (unzip the pack first)",
            pack.display()
        )));
    }
    let tagmanifest = std::fs::read(pack.join(names::TAGMANIFEST))
        .map_err(EvidenceError::io(pack.join(names::TAGMANIFEST)))?;
    let digest: [u8; 32] = Sha256::digest(&tagmanifest).into();
    let stamp = timestamp::check_response(tsr, &digest).map_err(EvidenceError::Usage)?;
    let target = pack.join(names::TSR);
    if target.exists() {
        return Err(EvidenceError::Usage(format!(
            "{} already holds a timestamp response",
            pack.display()
        )));
    }
    std::fs::write(&target, tsr).map_err(EvidenceError::io(&target))?;
    Ok(stamp.gen_time)
}
