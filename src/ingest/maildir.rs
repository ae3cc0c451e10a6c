//! Maildir folders: the messages in `cur/` and `new/`, in name order, with the delivery
//! date taken from the unique file name (`<epoch seconds>.<id>.<host>[:2,flags]`).
//!
//! mail-parser's Maildir iterator yields files in directory order and drops the path of
//! a file it cannot read, so the folder is listed here: sorted, and every unreadable
//! file is named.

use std::path::Path;

use super::listing::Listing;
use super::{IngestFailure, rfc3339};

/// The message files of one Maildir folder (`cur/` then `new/`, each sorted by name),
/// and a failure for each part that could not be listed.
pub fn list(dir: &Path) -> (Vec<Listing>, Vec<IngestFailure>) {
    let mut listings = Vec::new();
    let mut failures = Vec::new();
    for sub in ["cur", "new"] {
        let sub_dir = dir.join(sub);
        if !sub_dir.exists() {
            continue;
        }
        match Listing::read(&sub_dir) {
            Ok(listing) => listings.push(listing),
            Err(err) => failures.push(IngestFailure::new(
                sub_dir.display().to_string(),
                format!("cannot list Maildir folder: {err}"),
            )),
        }
    }
    (listings, failures)
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
