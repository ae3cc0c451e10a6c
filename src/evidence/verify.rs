//! `blowback verify`: checks a pack (its directory or its zip) without trusting anything
//! in it — recomputes the SHA-256 of every file against both manifests and
//! `Payload-Oxum`, checks the Ed25519 signature over the tag manifest (optionally against
//! a key the checker holds), the timestamp request and response, and the custody chain.
//! Every changed, missing or extra file is named.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{EvidenceError, custody, names, sha256_hex, sign, timestamp};

/// One problem, naming the file it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
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

/// A bag's files: relative path → bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Reads a bag from a directory or a zip (whose single top folder is stripped), with the
/// zip entries that could not be read (damaged data, wrong CRC).
pub fn load(path: &Path) -> Result<(Files, Vec<Problem>), EvidenceError> {
    if path.is_dir() {
        let mut files = Files::new();
        for rel in super::bag::list_files(path)? {
            let full = path.join(&rel);
            files.insert(rel, std::fs::read(&full).map_err(EvidenceError::io(&full))?);
        }
        return Ok((files, Vec::new()));
    }
    let zerr = |e: zip::result::ZipError| EvidenceError::Zip {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(EvidenceError::io(path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zerr)?;
    let mut files = Files::new();
    let mut broken = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zerr)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(zerr)?.to_string();
        let rel = name
            .split_once('/')
            .map(|(_, r)| r.to_string())
            .unwrap_or(name);
        let mut bytes = Vec::new();
        if let Err(err) = entry.read_to_end(&mut bytes) {
            // Keep what could be read: the manifests then name the file as changed.
            broken.push(Problem {
                file: rel.clone(),
                what: format!("cannot be read from the zip: {err}"),
            });
        }
        files.insert(rel, bytes);
    }
    Ok((files, broken))
}

/// Checks a loaded bag. `expected` is the public key the checker trusts, if any.
pub fn check(files: &Files, expected: Option<&ed25519_dalek::VerifyingKey>) -> Verdict {
    let mut verdict = Verdict {
        files: files.len(),
        ..Default::default()
    };
    let mut problem = |file: &str, what: String| {
        verdict.problems.push(Problem {
            file: file.to_string(),
            what,
        })
    };
    let text = |name: &str| {
        files
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    match text(names::BAGIT) {
        Some(t)
            if t.contains("BagIt-Version: 1.0")
                && t.contains("Tag-File-Character-Encoding: UTF-8") => {}
        Some(_) => problem(names::BAGIT, "not a BagIt 1.0 declaration".into()),
        None => problem(names::BAGIT, "missing".into()),
    }
    let payload = manifest(files, names::MANIFEST, &mut problem);
    let tags = manifest(files, names::TAGMANIFEST, &mut problem);
    for name in files.keys() {
        let known = payload.contains(name)
            || tags.contains(name)
            || [names::TAGMANIFEST, names::SIGNATURE, names::TSQ, names::TSR]
                .contains(&name.as_str());
        if !known {
            problem(name, "extra file: not in the manifests".into());
        }
    }
    for required in [names::MANIFEST, names::BAG_INFO, names::PUBLIC_KEY] {
        if files.contains_key(required) && !tags.contains(required) {
            problem(names::TAGMANIFEST, format!("does not cover {required}"));
        }
    }
    oxum(files, &payload, &mut problem);
    let (fingerprint, stamp) = signature_and_stamp(files, expected, &mut problem);
    let hashes: BTreeMap<String, String> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), sha256_hex(bytes)))
        .collect();
    match files.get(names::CUSTODY) {
        Some(log) => {
            for what in custody::check(log, &hashes) {
                problem(names::CUSTODY, what);
            }
        }
        None => problem(names::CUSTODY, "missing".into()),
    }
    verdict.fingerprint = fingerprint;
    verdict.timestamp = stamp;
    verdict
}

/// Checks one manifest's hashes; returns the paths it lists.
fn manifest(files: &Files, name: &str, problem: &mut impl FnMut(&str, String)) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    let Some(bytes) = files.get(name) else {
        problem(name, "missing".into());
        return listed;
    };
    for (n, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
        let Some((hash, path)) = line.split_once(char::is_whitespace) else {
            problem(name, format!("line {}: not `<sha256> <path>`", n + 1));
            continue;
        };
        let path = path
            .trim_start()
            .replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%25", "%");
        match files.get(&path) {
            None => problem(&path, format!("missing (listed in {name})")),
            Some(bytes) if !sha256_hex(bytes).eq_ignore_ascii_case(hash) => problem(
                &path,
                format!(
                    "changed: SHA-256 is {}, {name} says {hash}",
                    sha256_hex(bytes)
                ),
            ),
            Some(_) => {}
        }
        if name == names::MANIFEST && !path.starts_with("data/") {
            problem(name, format!("line {}: {path} is not under data/", n + 1));
        }
        listed.insert(path);
    }
    if name == names::MANIFEST {
        for path in files
            .keys()
            .filter(|p| p.starts_with("data/") && !listed.contains(*p))
        {
            problem(path, format!("extra file: not in {name}"));
        }
    }
    listed
}

fn oxum(files: &Files, payload: &BTreeSet<String>, problem: &mut impl FnMut(&str, String)) {
    let info = files
        .get(names::BAG_INFO)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let stated = info
        .lines()
        .find_map(|l| l.strip_prefix("Payload-Oxum:"))
        .map(|v| v.trim().to_string());
    let bytes: usize = payload
        .iter()
        .filter_map(|p| files.get(p))
        .map(Vec::len)
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
    let Some(tagmanifest) = files.get(names::TAGMANIFEST) else {
        return (None, None);
    };
    let key = files
        .get(names::PUBLIC_KEY)
        .and_then(|b| sign::parse_public_key(&String::from_utf8_lossy(b)));
    let fingerprint = key.as_ref().map(sign::fingerprint);
    match (&key, files.get(names::SIGNATURE)) {
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
    match files.get(names::TSQ) {
        None => problem(names::TSQ, "missing".into()),
        Some(tsq) if *tsq == timestamp::request(&digest) => {}
        Some(_) => problem(
            names::TSQ,
            format!("is not the timestamp request for {}", names::TAGMANIFEST),
        ),
    }
    let stamp = match files
        .get(names::TSR)
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
