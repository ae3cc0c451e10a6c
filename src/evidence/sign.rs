//! Signing: an Ed25519 signature over the bag's tag manifest (which fixes the payload
//! manifest and thereby every exhibit). The key is a 32-byte seed in hex, read from the
//! configured file or generated there on first use; the public half goes into the bag.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::{EvidenceError, sha256_hex};

/// Text that starts a public key and a signature file.
const PUBLIC_PREFIX: &str = "ed25519-public-key ";
const SIGNATURE_PREFIX: &str = "ed25519-signature ";

/// The default key file: `<user data dir>/blowback/evidence-signing.key`.
pub fn default_key_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("blowback").join("evidence-signing.key"))
}

/// Reads the key, or generates and saves one (mode 0600) when the file does not exist.
/// Returns the key and whether it was generated now.
pub fn load_or_generate(path: &Path) -> Result<(SigningKey, bool), EvidenceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_secret(&text).map(|key| (key, false)).ok_or_else(|| {
            EvidenceError::Usage(format!(
                "signing key {}: expected 64 hex digits (an Ed25519 seed)",
                path.display()
            ))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate(&mut rand_core::OsRng);
            save_secret(path, &key)?;
            Ok((key, true))
        }
        Err(err) => Err(EvidenceError::io(path)(err)),
    }
}

fn parse_secret(text: &str) -> Option<SigningKey> {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
    let seed: [u8; 32] = hex::decode(line.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

fn save_secret(path: &Path, key: &SigningKey) -> Result<(), EvidenceError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(EvidenceError::io(parent))?;
    }
    let text = format!(
        "# blowback evidence signing key (Ed25519 seed). Keep it secret.\n# public key fingerprint {}\n{}\n",
        fingerprint(&key.verifying_key()),
        hex::encode(key.to_bytes())
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(EvidenceError::io(path))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(EvidenceError::io(path))
}

/// `SHA256:` and the hex SHA-256 of the 32 public key bytes.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!("SHA256:{}", sha256_hex(key.as_bytes()))
}

/// The public key file put into the bag.
pub fn public_key_text(key: &VerifyingKey) -> String {
    format!(
        "{PUBLIC_PREFIX}{}\n# fingerprint {}\n",
        hex::encode(key.as_bytes()),
        fingerprint(key)
    )
}

/// Reads a public key file (ours, or a bare 64-digit hex key).
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
    let digits = line
        .trim()
        .strip_prefix(PUBLIC_PREFIX)
        .unwrap_or(line.trim());
    let bytes: [u8; 32] = hex::decode(digits.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The signature file's text for `message`.
pub fn signature_text(key: &SigningKey, message: &[u8]) -> String {
    format!(
        "{SIGNATURE_PREFIX}{}\n",
        hex::encode(key.sign(message).to_bytes())
    )
}

/// Checks a signature file's text over `message` with `key`.
pub fn check(key: &VerifyingKey, message: &[u8], signature_text: &str) -> Result<(), String> {
    let digits = signature_text
        .strip_prefix(SIGNATURE_PREFIX)
        .and_then(|rest| rest.strip_suffix('\n'))
        .ok_or("not one ed25519-signature line")?;
    let bytes: [u8; 64] = hex::decode(digits)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the signature is not 64 bytes of hex")?;
    if hex::encode(bytes) != digits {
        return Err("the signature is not written in lower-case hex".into());
    }
    key.verify(message, &Signature::from_bytes(&bytes))
        .map_err(|_| "the signature does not match (wrong key or changed file)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_check_round_trip() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let text = signature_text(&key, b"manifest");
        let public = parse_public_key(&public_key_text(&key.verifying_key())).unwrap();
        assert_eq!(check(&public, b"manifest", &text), Ok(()));
        assert!(check(&public, b"manifesT", &text).is_err());
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert!(check(&other, b"manifest", &text).is_err());
    }

    #[test]
    fn key_is_generated_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/evidence.key");
        let (first, generated) = load_or_generate(&path).unwrap();
        assert!(generated);
        let (second, generated) = load_or_generate(&path).unwrap();
        assert!(!generated);
        assert_eq!(first.to_bytes(), second.to_bytes());
    }
}
