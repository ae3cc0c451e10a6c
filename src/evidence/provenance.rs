//! What a pack's findings rest on besides the inputs and the saved answers: every data
//! file (the IP databases, the jurisdiction table; with `--resolve` also the WHOIS servers
//! map and the RDAP bootstrap files) and every template, each with its SHA-256, size and
//! version, so the analysis can be repeated from the pack alone. A version comes from the
//! data folder's `MANIFEST` when the file is the one it lists, else from the file itself
//! (a MaxMind DB's type and build date, an RDAP bootstrap's publication time).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::enrich::EnrichConfig;

/// One file the run used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Used {
    /// What it served for.
    pub role: &'static str,
    /// The path as configured (data files) or the template's name.
    pub path: String,
    /// `None` when the file could not be read (then it was not used either).
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub version: String,
}

/// The data files a run with this configuration reads.
pub fn data_files(enrich: &EnrichConfig, resolve: bool) -> Vec<Used> {
    let manifest = manifest_versions(&enrich.data_dir.join("MANIFEST"));
    let mut files = vec![
        ("IP to country database", enrich.country_db_path()),
        ("IP to network (AS) database", enrich.asn_db_path()),
        (
            "anti-spam law by jurisdiction",
            enrich.data_dir.join("jurisdictions.json"),
        ),
    ];
    if resolve {
        files.push(("WHOIS servers map", enrich.whois_servers_path()));
        let bootstrap = enrich.rdap_bootstrap_path();
        for name in ["asn.json", "dns.json", "ipv4.json", "ipv6.json"] {
            files.push(("RDAP bootstrap registry", bootstrap.join(name)));
        }
    }
    files
        .into_iter()
        .map(|(role, path)| describe(role, &path, &manifest))
        .collect()
}

/// The templates the report and memo were rendered from (built into the binary).
pub fn templates(tool: &str) -> Vec<Used> {
    super::report::TEMPLATES
        .iter()
        .map(|(name, text)| Used {
            role: "page template",
            path: format!("templates/evidence/{name}"),
            sha256: Some(crate::hash::sha256_hex(text.as_bytes())),
            bytes: Some(text.len() as u64),
            version: format!("built into {tool}"),
        })
        .collect()
}

fn describe(role: &'static str, path: &Path, manifest: &BTreeMap<String, String>) -> Used {
    let Some((sha256, bytes)) = hash_file(path) else {
        return Used {
            role,
            path: path.display().to_string(),
            sha256: None,
            bytes: None,
            version: "not found, so not used".into(),
        };
    };
    let version = manifest
        .get(&sha256)
        .map(|v| format!("{v} (data/MANIFEST)"))
        .or_else(|| own_version(path))
        .unwrap_or_else(|| "no version recorded; identified by its SHA-256".into());
    Used {
        role,
        path: path.display().to_string(),
        sha256: Some(sha256),
        bytes: Some(bytes),
        version,
    }
}

/// SHA-256 and size of a regular file, streamed.
fn hash_file(path: &Path) -> Option<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Some((hex::encode(hasher.finalize()), size))
}

/// `MANIFEST` rows (`path, sha256, bytes, source, version, licence`, tab-separated): the
/// version by SHA-256.
fn manifest_versions(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.get(1)?.to_string(), cols.get(4)?.to_string()))
        })
        .collect()
}

/// The version a file states about itself.
fn own_version(path: &Path) -> Option<String> {
    if path.extension().is_some_and(|e| e == "mmdb") {
        let reader = maxminddb::Reader::open_readfile(path).ok()?;
        let built = super::utc(reader.metadata.build_epoch);
        return Some(format!(
            "{}, built {}",
            reader.metadata.database_type,
            &built[..10]
        ));
    }
    // Small JSON files only (the bootstrap registries are a few KB).
    let text = std::fs::read_to_string(path)
        .ok()
        .filter(|t| t.len() < 1 << 20)?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["publication"]
        .as_str()
        .map(|p| format!("publication {p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_files_are_named_with_hash_and_version() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let config =
            crate::config::EnrichSettings::default().resolve(&crate::config::EnrichOverrides {
                data_dir: Some(dir.clone()),
                ..Default::default()
            });
        let used = data_files(&config, true);
        assert_eq!(used.len(), 8, "{used:?}");
        for file in &used {
            let bytes = std::fs::read(&file.path).unwrap();
            assert_eq!(
                file.sha256.as_deref(),
                Some(crate::hash::sha256_hex(&bytes).as_str())
            );
            assert!(!file.version.is_empty());
        }
        let missing = describe("x", &dir.join("no-such.mmdb"), &BTreeMap::new());
        assert_eq!(missing.sha256, None);
    }
}
