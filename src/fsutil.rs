//! Opening input files safely: only regular files are opened for reading, and the open
//! itself never blocks, so a FIFO, socket or device planted in an input tree (or swapped
//! in between a check and the open) is named and passed over instead of hanging the run.
//!
//! Shared by ingest; `verify` can adopt [`open_regular`] for the files of a pack.

use std::fs::{self, File, FileType, Metadata};
use std::io;
use std::path::Path;

/// What a non-regular file is, in words for a message ("a FIFO").
pub fn describe(file_type: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Identifies a file across links: (device, inode). `None` where the OS has no such
/// notion (then nothing is deduplicated).
pub fn file_id(metadata: &Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((metadata.dev(), metadata.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

/// Opens `path` for reading only if it is a regular file: opened without blocking
/// (`O_NONBLOCK`, so a FIFO swapped in after a check cannot hang the open) and checked
/// with `fstat` on the open file. Returns the file and its metadata.
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}, not a regular file", describe(&metadata.file_type())),
        ));
    }
    Ok((file, metadata))
}

/// Reads a regular file whole, refusing one over `max_bytes` without reading past the
/// limit; anything but a regular file is refused before any read.
pub fn read_regular(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let (file, metadata) = open_regular(path)?;
    let capacity = metadata.len().min(max_bytes).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max_bytes} bytes"),
        ));
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn regular_files_open_and_the_rest_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.eml");
        fs::write(&file, b"Subject: x\n\nbody\n").unwrap();
        assert_eq!(read_regular(&file, 100).unwrap(), b"Subject: x\n\nbody\n");
        assert!(read_regular(&file, 4).is_err());

        let fifo = dir.path().join("fifo.eml");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would hang here.
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");

        let err = open_regular(Path::new("/dev/null")).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        let err = open_regular(dir.path()).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }
}
