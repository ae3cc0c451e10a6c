//! `blowback verify` against hostile packs, each built here from a genuine one: in a
//! folder, a payload file replaced by a symbolic link (to an identical copy outside, to
//! `/dev/zero`), by a FIFO or by a directory; in a zip, a tampered entry placed before the
//! genuine one, an entry named `../evil`, and deflate bombs (a 1 GiB entry stated honestly,
//! one stated as small, one as an extra tag file). Each must fail and name the file; the
//! process is reaped with `wait4`, so a hang fails the test (after a generous guard) and its
//! peak memory is measured.

mod evidence_util;

use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use evidence_util::{Env, corpus, files};

/// Peak resident memory allowed to a verify run, in KiB: the pack is a few hundred KB, so
/// anything near a hostile file's size shows it was read or held.
const FLAT_KIB: i64 = 150 * 1024;

/// What one `verify` run said.
struct Run {
    ok: bool,
    said: String,
    max_rss_kib: i64,
}

/// Runs `verify <pack>`; a run that has not ended after a minute is killed and fails.
// The child is reaped by `wait4` (for its peak memory), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn verify(env: &Env, pack: &str) -> Run {
    let mut child = env
        .command(&["verify", pack])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let pid = child.id() as libc::pid_t;
    let guard = Instant::now() + Duration::from_secs(60);
    loop {
        let mut status = 0;
        // SAFETY: plain out-parameters for wait4 on our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            let mut said = String::new();
            child.stdout.take().unwrap().read_to_string(&mut said).ok();
            child.stderr.take().unwrap().read_to_string(&mut said).ok();
            return Run {
                ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                said,
                max_rss_kib: usage.ru_maxrss,
            };
        }
        if Instant::now() > guard {
            let _ = child.kill();
            panic!("verify {pack} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `verify` fails, a PROBLEM line names `name` and says `what`, memory stays flat.
fn expect_problem(env: &Env, pack: &str, name: &str, what: &str) {
    let started = Instant::now();
    let run = verify(env, pack);
    eprintln!(
        "{pack}: {:?}, peak {} KiB",
        started.elapsed(),
        run.max_rss_kib
    );
    assert!(!run.ok, "{pack}: verify passed\n{}", run.said);
    assert!(
        run.said
            .lines()
            .any(|l| l.starts_with("PROBLEM") && l.contains(name) && l.contains(what)),
        "{pack}: no PROBLEM naming {name} with {what:?}\n{}",
        run.said
    );
    assert!(
        run.max_rss_kib < FLAT_KIB,
        "{pack}: peak memory {} KiB",
        run.max_rss_kib
    );
}

fn genuine(env: &Env) -> std::path::PathBuf {
    env.pack(&[corpus("bs-0002.eml")], "pack", &["--offline"]);
    let ok = verify(env, "pack");
    assert!(ok.ok, "{}", ok.said);
    env.path("pack")
}

fn copy(env: &Env, name: &str) -> std::path::PathBuf {
    let to = env.path(name);
    evidence_util::copy_dir(&env.path("pack"), &to);
    to
}

#[test]
fn a_payload_file_replaced_by_a_link_to_an_identical_copy_fails() {
    let env = Env::new();
    let pack = genuine(&env);
    let outside = env.path("outside-findings.json");
    std::fs::copy(pack.join("data/findings.json"), &outside).unwrap();
    let hostile = copy(&env, "linked");
    std::fs::remove_file(hostile.join("data/findings.json")).unwrap();
    symlink(&outside, hostile.join("data/findings.json")).unwrap();
    expect_problem(&env, "linked", "data/findings.json", "symbolic link");

    // A linked folder is not entered either.
    let hostile = copy(&env, "linked-dir");
    let originals = hostile.join("data/originals");
    std::fs::rename(&originals, env.path("outside-originals")).unwrap();
    symlink(env.path("outside-originals"), &originals).unwrap();
    expect_problem(&env, "linked-dir", "data/originals", "symbolic link");
}

#[test]
fn a_link_to_dev_zero_is_named_not_read() {
    let env = Env::new();
    genuine(&env);
    let hostile = copy(&env, "zero");
    std::fs::remove_file(hostile.join("data/findings.json")).unwrap();
    symlink("/dev/zero", hostile.join("data/findings.json")).unwrap();
    expect_problem(&env, "zero", "data/findings.json", "symbolic link");
    // Where a tag file belongs, too.
    let hostile = copy(&env, "zero-tag");
    std::fs::remove_file(hostile.join("bag-info.txt")).unwrap();
    symlink("/dev/zero", hostile.join("bag-info.txt")).unwrap();
    expect_problem(&env, "zero-tag", "bag-info.txt", "symbolic link");
}

#[test]
fn a_fifo_in_the_pack_is_named_and_does_not_hang() {
    let env = Env::new();
    genuine(&env);
    for (name, at) in [
        ("fifo", "data/findings.json"),
        ("fifo-extra", "data/x.eml"),
        ("fifo-tag", "manifest-sha256.txt"),
    ] {
        let hostile = copy(&env, name);
        let path = hostile.join(at);
        let _ = std::fs::remove_file(&path);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
        expect_problem(&env, name, at, "FIFO");
    }
}

#[test]
fn a_directory_where_a_file_belongs_is_named() {
    let env = Env::new();
    genuine(&env);
    let hostile = copy(&env, "dir");
    std::fs::remove_file(hostile.join("data/findings.json")).unwrap();
    std::fs::create_dir_all(hostile.join("data/findings.json/inner")).unwrap();
    expect_problem(
        &env,
        "dir",
        "data/findings.json",
        "a directory where a file belongs",
    );
}

// ------------------------------------------------------------------------ zips

/// One entry of a hand-built zip: name as written, method (0 stored, 8 deflated), the
/// data as stored, its CRC-32 and the uncompressed size the headers state.
struct Entry {
    name: Vec<u8>,
    method: u16,
    data: Vec<u8>,
    crc: u32,
    size: u64,
}

impl Entry {
    fn stored(name: &str, data: Vec<u8>) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            method: 0,
            crc: crc32(&data),
            size: data.len() as u64,
            data,
        }
    }
}

/// Writes a zip the way a hostile tool could: duplicate and unsafe names allowed, stated
/// sizes as given (ZIP64 records when they do not fit 32 bits).
fn write_zip(path: &Path, entries: &[Entry]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u64;
        let big = e.size > 0xffff_fffe;
        let zip64 = |into: &mut Vec<u8>, with_offset: bool| {
            into.extend(1u16.to_le_bytes());
            into.extend((if with_offset { 24u16 } else { 16 }).to_le_bytes());
            into.extend(e.size.to_le_bytes());
            into.extend((e.data.len() as u64).to_le_bytes());
            if with_offset {
                into.extend(offset.to_le_bytes());
            }
        };
        let (size32, csize32) = if big {
            (0xffff_ffffu32, 0xffff_ffffu32)
        } else {
            (e.size as u32, e.data.len() as u32)
        };
        let mut local_extra = Vec::new();
        if big {
            zip64(&mut local_extra, false);
        }
        out.extend(b"PK\x03\x04");
        out.extend((if big { 45u16 } else { 20 }).to_le_bytes());
        out.extend([0, 0]);
        out.extend(e.method.to_le_bytes());
        out.extend([0, 0, 0x21, 0]);
        out.extend(e.crc.to_le_bytes());
        out.extend(csize32.to_le_bytes());
        out.extend(size32.to_le_bytes());
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend((local_extra.len() as u16).to_le_bytes());
        out.extend(&e.name);
        out.extend(&local_extra);
        out.extend(&e.data);
        let mut extra = Vec::new();
        if big {
            zip64(&mut extra, true);
        }
        central.extend(b"PK\x01\x02");
        central.extend((3u16 << 8 | 45).to_le_bytes());
        central.extend((if big { 45u16 } else { 20 }).to_le_bytes());
        central.extend([0, 0]);
        central.extend(e.method.to_le_bytes());
        central.extend([0, 0, 0x21, 0]);
        central.extend(e.crc.to_le_bytes());
        central.extend(csize32.to_le_bytes());
        central.extend(size32.to_le_bytes());
        central.extend((e.name.len() as u16).to_le_bytes());
        central.extend((extra.len() as u16).to_le_bytes());
        central.extend([0, 0, 0, 0, 0, 0]);
        central.extend((0o100644u32 << 16).to_le_bytes());
        central.extend((if big { 0xffff_ffff } else { offset as u32 }).to_le_bytes());
        central.extend(&e.name);
        central.extend(&extra);
    }
    let start = out.len() as u32;
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend([0, 0, 0, 0]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend([0, 0]);
    std::fs::write(path, out).unwrap();
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (!(crc & 1)).wrapping_add(1));
        }
    }
    !crc
}

/// A raw deflate stream (fixed Huffman codes) of `1 + 258 * runs` zero bytes: one literal
/// zero, then copies of 258 bytes at distance 1 (13 bits each, ~1:160).
fn zeros_deflate(runs: u64) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..runs {
        bits.code(0xc5, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    bits.finish()
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// Value bits, least significant first (deflate's header fields).
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
        self.put(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The genuine pack's files as zip entries under `pack/`, in order.
fn genuine_entries(env: &Env) -> Vec<Entry> {
    let pack = env.path("pack");
    files(&pack)
        .into_iter()
        .map(|rel| {
            Entry::stored(
                &format!("pack/{rel}"),
                std::fs::read(pack.join(&rel)).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_hand_built_zip_of_the_genuine_pack_verifies() {
    // The builder itself is sound: without a hostile entry the zip passes.
    let env = Env::new();
    genuine(&env);
    write_zip(&env.path("plain.zip"), &genuine_entries(&env));
    let run = verify(&env, "plain.zip");
    assert!(run.ok, "{}", run.said);
}

#[test]
fn a_tampered_entry_before_the_genuine_one_fails() {
    let env = Env::new();
    genuine(&env);
    let mut entries = genuine_entries(&env);
    let at = entries
        .iter()
        .position(|e| e.name == b"pack/data/findings.json")
        .unwrap();
    let mut tampered = String::from_utf8(entries[at].data.clone()).unwrap();
    tampered = tampered.replacen("\"case\"", "\"case\" ", 1);
    entries.insert(
        0,
        Entry::stored("pack/data/findings.json", tampered.into_bytes()),
    );
    write_zip(&env.path("dup.zip"), &entries);
    expect_problem(
        &env,
        "dup.zip",
        "pack/data/findings.json",
        "appears 2 times",
    );
}

#[test]
fn unsafe_entry_names_are_named_as_written() {
    let env = Env::new();
    genuine(&env);
    for (n, name) in ["../evil", "pack/../../evil", "/etc/evil", "pack/data\\evil"]
        .into_iter()
        .enumerate()
    {
        let mut entries = genuine_entries(&env);
        entries.push(Entry::stored(name, b"x".to_vec()));
        let zip = format!("unsafe{n}.zip");
        write_zip(&env.path(&zip), &entries);
        expect_problem(&env, &zip, &format!("PROBLEM  {name}: "), "unsafe name");
    }
}

/// About 1 GiB of zeros in about 6.5 MB of deflate.
fn bomb(name: &str, stated: Option<u64>) -> Entry {
    let runs = (1u64 << 30) / 258;
    Entry {
        name: name.as_bytes().to_vec(),
        method: 8,
        data: zeros_deflate(runs),
        crc: 0,
        size: stated.unwrap_or(1 + 258 * runs),
    }
}

#[test]
fn deflate_bombs_are_not_inflated_beyond_the_stated_sizes() {
    let env = Env::new();
    genuine(&env);
    let findings_size = std::fs::metadata(env.path("pack/data/findings.json"))
        .unwrap()
        .len();
    let cases = [
        // Stated honestly: more than Payload-Oxum leaves, so not read at all.
        (
            "honest.zip",
            bomb("pack/data/findings.json", None),
            "data/findings.json",
            "more than Payload-Oxum",
        ),
        // Stated as the genuine size: read up to that size, then named.
        (
            "lying.zip",
            bomb("pack/data/findings.json", Some(findings_size)),
            "data/findings.json",
            "larger than",
        ),
        // An extra tag file: more than a tag file may have.
        (
            "tag.zip",
            bomb("pack/notes.txt", None),
            "notes.txt",
            "more than a tag file",
        ),
        // An extra payload file no manifest lists: named, never read.
        (
            "extra.zip",
            bomb("pack/data/extra.eml", None),
            "data/extra.eml",
            "extra file",
        ),
    ];
    for (zip, hostile, name, what) in cases {
        let mut entries: Vec<Entry> = genuine_entries(&env)
            .into_iter()
            .filter(|e| e.name != hostile.name)
            .collect();
        entries.push(hostile);
        write_zip(&env.path(zip), &entries);
        expect_problem(&env, zip, name, what);
    }
}
