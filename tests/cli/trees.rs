//! Hostile input trees, built in the test: FIFOs, sockets, device links, symlink loops,
//! links to directories and second links to files; and files with leading junk, which
//! get the same answer alone and in a directory. Every run is under a time limit.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use super::util::{fixture, ndjson, run_timed, stderr};

const LIMIT: Duration = Duration::from_secs(120);

fn bounce() -> Vec<u8> {
    fs::read(fixture("corpus/bounces/lhost-postfix-01.eml")).unwrap()
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn sources(output: &std::process::Output) -> Vec<String> {
    ndjson(output)
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fifos_sockets_and_devices_are_named_and_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("in");
    fs::create_dir_all(tree.join("Maildir/new")).unwrap();
    fs::create_dir_all(tree.join("Maildir/cur")).unwrap();
    fs::write(tree.join("a.eml"), bounce()).unwrap();
    fs::write(tree.join("Maildir/cur/1562320800.M1P1.mx:2,S"), bounce()).unwrap();
    mkfifo(&tree.join("z.eml"));
    mkfifo(&tree.join("README"));
    mkfifo(&tree.join("Maildir/new/1562320801.M2P2.mx"));
    let _socket = std::os::unix::net::UnixListener::bind(tree.join("sock.eml")).unwrap();
    symlink("/dev/zero", tree.join("zero.eml")).unwrap();
    symlink("/dev/null", tree.join("null.eml")).unwrap();
    let output = run_timed(dir.path(), &["-q", "analyze", "--ndjson", "in"], LIMIT);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        sources(&output),
        ["in/Maildir/cur/1562320800.M1P1.mx:2,S", "in/a.eml"]
    );
    let err = stderr(&output);
    for (name, what) in [
        ("in/z.eml", "a FIFO"),
        ("in/README", "a FIFO"),
        ("in/Maildir/new/1562320801.M2P2.mx", "a FIFO"),
        ("in/sock.eml", "a socket"),
        ("in/zero.eml", "a character device"),
        ("in/null.eml", "a character device"),
    ] {
        assert!(
            err.contains(&format!("passed over: {name}: {what}")),
            "{name} named with -q: {err}"
        );
    }
}

#[test]
fn links_to_directories_are_followed_only_when_asked_and_every_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("in");
    fs::create_dir_all(tree.join("sub")).unwrap();
    fs::write(tree.join("a.eml"), bounce()).unwrap();
    let mut other = b"X-Other: 1\n".to_vec();
    other.extend(bounce());
    fs::write(tree.join("sub/b.eml"), other).unwrap();
    symlink(".", tree.join("loop1")).unwrap();
    symlink(".", tree.join("loop2")).unwrap();
    symlink("..", tree.join("sub/up")).unwrap();
    symlink("sub", tree.join("sublink")).unwrap();
    symlink("a.eml", tree.join("alias.eml")).unwrap();
    fs::hard_link(tree.join("a.eml"), tree.join("hard.eml")).unwrap();

    let plain = run_timed(dir.path(), &["analyze", "--ndjson", "in"], LIMIT);
    assert_eq!(sources(&plain), ["in/a.eml", "in/sub/b.eml"]);
    let err = stderr(&plain);
    for name in ["in/loop1", "in/loop2", "in/sub/up", "in/sublink"] {
        assert!(
            err.contains(&format!(
                "passed over: {name}: symbolic link to a directory"
            )),
            "{name}: {err}"
        );
    }
    for name in ["in/alias.eml", "in/hard.eml"] {
        assert!(
            err.contains(&format!("passed over: {name}: file already read")),
            "{name}: {err}"
        );
    }

    let followed = run_timed(
        dir.path(),
        &["analyze", "--ndjson", "--follow", "in"],
        LIMIT,
    );
    assert_eq!(followed.status.code(), Some(0), "{}", stderr(&followed));
    let ids: Vec<String> = ndjson(&followed)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "each file once through all links: {ids:?}");
    assert_ne!(ids[0], ids[1]);
    assert!(
        stderr(&followed).contains("directory already read in this run"),
        "{}",
        stderr(&followed)
    );
}

#[test]
fn leading_junk_gets_the_same_record_alone_and_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("in");
    fs::create_dir(&tree).unwrap();
    let shapes: [(&str, &[u8]); 6] = [
        ("bom.eml", b"\xef\xbb\xbf"),
        ("blank.eml", b"\n\n"),
        ("spaces.eml", b"   "),
        ("nul.eml", b"\0"),
        ("crlf-bom.eml", b"\r\n\xef\xbb\xbf"),
        ("odd.eml", b"this is not a header line\n"),
    ];
    for (name, prefix) in shapes {
        let mut bytes = prefix.to_vec();
        bytes.extend(bounce());
        fs::write(tree.join(name), bytes).unwrap();
    }
    fs::write(
        tree.join("NOTES.txt"),
        b"Notes: about these files\n\nnothing\n",
    )
    .unwrap();
    let walked = run_timed(dir.path(), &["-q", "analyze", "--ndjson", "in"], LIMIT);
    let records = ndjson(&walked);
    assert_eq!(records.len(), shapes.len(), "{}", stderr(&walked));
    assert!(
        stderr(&walked).contains("skipped, not mail: in/NOTES.txt (1 file)"),
        "named even with -q: {}",
        stderr(&walked)
    );
    for record in &records {
        let source = record["source"].as_str().unwrap();
        let alone = run_timed(dir.path(), &["analyze", "--ndjson", source], LIMIT);
        let alone = &ndjson(&alone)[0];
        assert_eq!(alone["id"], record["id"], "{source}");
        assert_eq!(alone["kind"], record["kind"], "{source}");
    }
}
