//! `blowback fetch` against a real Dovecot (Debian's `dovecot-imapd`, installed by
//! .ci/run) started by the test with its own configuration in a temporary folder:
//! loopback only, a passwd-file user, TLS with a certificate from a test CA, a Maildir
//! of corpus messages. Shows byte-for-byte keeping, `after` = seen / move, nothing
//! fetched twice, a UIDVALIDITY change, a connection cut mid-fetch, and IDLE.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/corpus/backscatter"
);
const MESSAGES: usize = 12;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn openssl(args: &[&str], dir: &Path) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::null())
        .status()
        .expect("openssl makes the test certificates");
    assert!(status.success(), "openssl {args:?}");
}

/// A Dovecot of its own, stopped when dropped.
struct Dovecot {
    dir: tempfile::TempDir,
    child: Option<Child>,
    imap: u16,
    imaps: u16,
    uid: u32,
}

impl Dovecot {
    fn new() -> Dovecot {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=blowback test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
            d,
        );
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
            d,
        );
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ],
            d,
        );
        std::fs::write(d.join("passwd"), "u:{PLAIN}secret::::::\n").unwrap();
        for sub in [
            "run",
            "state",
            "mail/u/Maildir/new",
            "mail/u/Maildir/cur",
            "mail/u/Maildir/tmp",
            "mail/u/Maildir/.Done/new",
            "mail/u/Maildir/.Done/cur",
            "mail/u/Maildir/.Done/tmp",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        // Dovecot does not run mail processes as root: as root, the mail belongs to nobody.
        let owner = std::fs::metadata(d).unwrap().uid();
        let uid = if owner == 0 { 65534 } else { owner };
        let (imap, imaps) = (free_port(), free_port());
        let p = d.display();
        let conf = format!(
            "base_dir = {p}/run\nstate_dir = {p}/state\nlog_path = {p}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = required\n\
             ssl_cert = <{p}/cert.pem\nssl_key = <{p}/key.pem\n\
             default_internal_user = {user}\ndefault_login_user = {user}\n\
             first_valid_uid = 1\nfirst_valid_gid = 1\n\
             mail_location = maildir:{p}/mail/%u/Maildir\n\
             mailbox_idle_check_interval = 1 secs\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {p}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={uid} home={p}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {imap}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n",
            user = user_name(uid),
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let mut dovecot = Dovecot {
            dir,
            child: None,
            imap,
            imaps,
            uid,
        };
        for file in corpus_files().into_iter().take(MESSAGES) {
            dovecot.add(&file);
        }
        dovecot.start();
        dovecot
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn maildir(&self) -> PathBuf {
        self.path().join("mail/u/Maildir")
    }

    /// Delivers a message into the user's Maildir as an MTA would.
    fn add(&self, file: &Path) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = self.maildir().join("tmp").join(&name);
        std::fs::copy(file, &tmp).unwrap();
        self.chown_all();
        std::fs::rename(&tmp, self.maildir().join("new").join(&name)).unwrap();
    }

    fn chown_all(&self) {
        let status = Command::new("chown")
            .args(["-R", &format!("{0}:{0}", self.uid)])
            .arg(self.path().join("mail"))
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn start(&mut self) {
        let child = Command::new("dovecot")
            .args(["-F", "-c"])
            .arg(self.path().join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot (Debian dovecot-imapd, installed by .ci/run)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.imaps)).is_err()
            || TcpStream::connect(("127.0.0.1", self.imap)).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "dovecot did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
        // Its login processes may linger a moment after the master.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.imaps)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("dovecot.log")).unwrap_or_default()
    }

    fn config(&self, after: &str, extra: &str) -> PathBuf {
        let path = self
            .path()
            .join(format!("blowback-{}.toml", after.replace(':', "-")));
        std::fs::write(
            &path,
            format!(
                "own_domains = [\"victim-domain.net\"]\n[fetch]\nafter = \"{after}\"\nca_file = {:?}\n{extra}\n",
                self.path().join("ca.pem")
            ),
        )
        .unwrap();
        path
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find(|l| l.split(':').nth(2) == Some(&uid.to_string()))
        .and_then(|l| l.split(':').next())
        .unwrap_or("nobody")
        .to_string()
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
}

fn fetch(config: &Path, url: &str, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blowback"))
        .arg("--config")
        .arg(config)
        .args(["fetch", url, "--offline", "--maildir"])
        .arg(out.join("Maildir"))
        .arg("--db")
        .arg(out.join("cases.db"))
        .args(extra)
        .env("BLOWBACK_IMAP_PASSWORD", "secret")
        .output()
        .unwrap()
}

fn hashes(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| blowback::hash::sha256_hex(&std::fs::read(e.unwrap().path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The hashes of the first `n` corpus messages as IMAP sends them: with CRLF line ends
/// (RFC 3501 2.2; Dovecot stores LF and sends CRLF).
fn corpus_hashes(n: usize) -> Vec<String> {
    let crlf = |bytes: Vec<u8>| {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        out
    };
    let mut out: Vec<String> = corpus_files()
        .iter()
        .take(n)
        .map(|p| blowback::hash::sha256_hex(&crlf(std::fs::read(p).unwrap())))
        .collect();
    out.sort();
    out
}

fn stored(out: &Path) -> i64 {
    let conn = rusqlite::Connection::open(out.join("cases.db")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM analyses", [], |r| r.get(0))
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh Dovecot and a first pull from it with `after` (and more `[fetch]` lines),
/// which must succeed; the folder the pull wrote to comes back with its output.
fn first_pull(after: &str, extra: &str, starttls: bool) -> (Dovecot, tempfile::TempDir, Output) {
    let dovecot = Dovecot::new();
    let out = tempfile::tempdir().unwrap();
    let config = dovecot.config(after, extra);
    let output = fetch(&config, &url(&dovecot, starttls), out.path(), &[]);
    assert!(
        output.status.success(),
        "{}\n{}",
        stderr(&output),
        dovecot.log()
    );
    (dovecot, out, output)
}

fn url(dovecot: &Dovecot, starttls: bool) -> String {
    match starttls {
        true => format!("imap://u@127.0.0.1:{}/INBOX", dovecot.imap),
        false => format!("imaps://u@127.0.0.1:{}/INBOX", dovecot.imaps),
    }
}

#[test]
fn imaps_pull_keeps_bytes_marks_seen_and_never_twice() {
    let (dovecot, out, output) = first_pull("seen", "", false);
    let (config, url) = (dovecot.config("seen", ""), url(&dovecot, false));
    assert!(
        stderr(&output).contains(&format!("{MESSAGES} kept")),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        hashes(&out.path().join("Maildir/new")),
        corpus_hashes(MESSAGES)
    );
    assert_eq!(stored(out.path()), MESSAGES as i64);
    // Every message is \Seen on the server now (Maildir flag S).
    let flagged: Vec<String> = std::fs::read_dir(dovecot.maildir().join("cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(flagged.len(), MESSAGES);
    assert!(
        flagged
            .iter()
            .all(|n| n.rsplit_once(":2,").is_some_and(|(_, f)| f.contains('S'))),
        "{flagged:?}"
    );
    // Again: nothing new.
    let output = fetch(&config, &url, out.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("0 kept"), "{}", stderr(&output));
    assert_eq!(hashes(&out.path().join("Maildir/new")).len(), MESSAGES);
}

#[test]
fn starttls_pull_moves_processed_mail() {
    let (dovecot, out, _) = first_pull("move:Done", "batch = 5", true);
    assert_eq!(
        hashes(&out.path().join("Maildir/new")),
        corpus_hashes(MESSAGES)
    );
    let moved = hashes(&dovecot.maildir().join(".Done/new")).len()
        + hashes(&dovecot.maildir().join(".Done/cur")).len();
    assert_eq!(moved, MESSAGES);
    let left =
        hashes(&dovecot.maildir().join("new")).len() + hashes(&dovecot.maildir().join("cur")).len();
    assert_eq!(left, 0);
}

#[test]
fn a_uidvalidity_change_reads_again_but_keeps_nothing_twice() {
    let (mut dovecot, out, _) = first_pull("none", "", false);
    let (config, url) = (dovecot.config("none", ""), url(&dovecot, false));
    let state = |out: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("Maildir/.blowback-fetch.json")).unwrap())
            .unwrap()
    };
    let before = state(out.path())["folders"]["u@127.0.0.1/INBOX"]["uidvalidity"].clone();
    // The server forgets its UIDs (a restored or rebuilt mailbox): new UIDVALIDITY.
    dovecot.stop();
    let uidlist = dovecot.maildir().join("dovecot-uidlist");
    let text = std::fs::read_to_string(&uidlist).unwrap();
    let old = before.as_u64().unwrap();
    std::fs::write(
        &uidlist,
        text.replacen(&format!("V{old} "), &format!("V{} ", old + 1000), 1),
    )
    .unwrap();
    for entry in std::fs::read_dir(dovecot.maildir()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("dovecot.index")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    for file in corpus_files().iter().skip(MESSAGES).take(2) {
        dovecot.add(file);
    }
    dovecot.start();
    let output = fetch(&config, &url, out.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("2 kept, {MESSAGES} kept before")),
        "{}",
        stderr(&output)
    );
    let after = state(out.path())["folders"]["u@127.0.0.1/INBOX"]["uidvalidity"].clone();
    assert_ne!(before, after);
    assert_eq!(
        hashes(&out.path().join("Maildir/new")),
        corpus_hashes(MESSAGES + 2)
    );
}

/// A TCP relay to the server that cuts the first connection after `cut` bytes from the
/// server: the connection drops in the middle of a FETCH answer.
fn cutting_relay(server: u16, cut: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let upstream = TcpStream::connect(("127.0.0.1", server)).unwrap();
        let (mut c_read, mut u_write) =
            (client.try_clone().unwrap(), upstream.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_read, &mut u_write);
        });
        let (mut u_read, mut c_write) = (upstream, client);
        let mut passed = 0;
        let mut buf = [0u8; 4096];
        while passed < cut {
            let n = match u_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n.min(cut - passed),
            };
            if c_write.write_all(&buf[..n]).is_err() {
                break;
            }
            passed += n;
        }
        let _ = c_write.shutdown(std::net::Shutdown::Both);
        let _ = u_read.shutdown(std::net::Shutdown::Both);
    });
    port
}

#[test]
fn a_connection_dropped_mid_fetch_loses_nothing_and_resumes() {
    let dovecot = Dovecot::new();
    let out = tempfile::tempdir().unwrap();
    let config = dovecot.config("seen", "batch = 3");
    let relay = cutting_relay(dovecot.imaps, 120_000);
    let output = fetch(
        &config,
        &format!("imaps://u@127.0.0.1:{relay}/INBOX"),
        out.path(),
        &[],
    );
    assert!(!output.status.success(), "the cut connection is an error");
    let first = hashes(&out.path().join("Maildir/new")).len();
    assert!(
        first < MESSAGES,
        "the cut came before the end ({first} kept)"
    );
    assert!(
        std::fs::read_dir(out.path().join("Maildir/tmp"))
            .unwrap()
            .next()
            .is_none()
    );
    let output = fetch(
        &config,
        &format!("imaps://u@127.0.0.1:{}/INBOX", dovecot.imaps),
        out.path(),
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        hashes(&out.path().join("Maildir/new")),
        corpus_hashes(MESSAGES)
    );
    assert_eq!(stored(out.path()), MESSAGES as i64);
}

#[test]
fn idle_pulls_mail_as_it_arrives() {
    let dovecot = Dovecot::new();
    let out = tempfile::tempdir().unwrap();
    let config = dovecot.config("seen", "");
    let mut child = Command::new(env!("CARGO_BIN_EXE_blowback"))
        .arg("--config")
        .arg(&config)
        .args([
            "fetch",
            &format!("imaps://u@127.0.0.1:{}/INBOX", dovecot.imaps),
            "--idle",
            "--offline",
            "--maildir",
        ])
        .arg(out.path().join("Maildir"))
        .env("BLOWBACK_IMAP_PASSWORD", "secret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(first.contains(&format!("{MESSAGES} kept")), "{first}");
    dovecot.add(&corpus_files()[MESSAGES]);
    let next = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    assert!(next.unwrap().contains("1 kept"));
    assert_eq!(
        hashes(&out.path().join("Maildir/new")),
        corpus_hashes(MESSAGES + 1)
    );
}
