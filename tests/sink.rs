//! `blowback sink` as a process on loopback, driven by real SMTP clients: Python's
//! smtplib, lettre, and a raw socket for what clients do not do on request (pipelining a
//! whole transaction, vanishing mid-DATA). Checks what lands in the Maildir byte for
//! byte, what the case store holds, the answers, the limits and SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A corpus bounce with CRLF line ends (what travels over SMTP).
fn corpus_crlf(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(repo().join("tests/fixtures/corpus/backscatter").join(name)).unwrap();
    let text = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The sink process, killed when dropped.
struct Sink {
    child: Child,
    port: u16,
    maildir: PathBuf,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(sink_settings: &str) -> Sink {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("blowback.toml");
    std::fs::write(
        &config,
        format!(
            "own_domains = [\"victim-domain.net\"]\nown_mx = [\"mx.victim-domain.net\"]\n[sink]\n{sink_settings}\n"
        ),
    )
    .unwrap();
    let maildir = dir.path().join("Maildir");
    let db = dir.path().join("cases.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_blowback"))
        .arg("--config")
        .arg(&config)
        .args(["sink", "--listen", "127.0.0.1:0", "--offline", "--maildir"])
        .arg(&maildir)
        .arg("--db")
        .arg(&db)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
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
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the sink says where it listens");
    let port = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Sink {
        child,
        port,
        maildir,
        db,
        _dir: dir,
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn stored(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM analyses", [], |r| r.get(0))
        .unwrap()
}

/// A raw SMTP client: writes what it is given, reads whole replies.
struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut raw = Raw {
            reader: BufReader::new(stream),
        };
        assert!(raw.reply().starts_with("220 "));
        raw
    }

    fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// One reply, all its lines.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            assert!(line.ends_with("\r\n"), "cut reply {all}{line:?}");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }
}

fn code(reply: &str) -> &str {
    &reply[..3]
}

#[test]
fn python_smtplib_delivers_and_is_refused_for_other_domains() {
    let sink = start("answer = \"reject\"\nmax_message_bytes = 2000000");
    let message = corpus_crlf("bs-0021.eml");
    let script = r#"
import smtplib, sys, json
port = int(sys.argv[1]); data = open(sys.argv[2], 'rb').read()
s = smtplib.SMTP('127.0.0.1', port, timeout=60)
code, caps = s.ehlo('mail.bouncer.example')
out = {'ehlo': caps.decode()}
try:
    s.sendmail('', ['someone@other.example'], data)
except smtplib.SMTPRecipientsRefused as e:
    out['relay'] = e.recipients['someone@other.example'][0]
try:
    s.sendmail('', ['nobody-here@victim-domain.net', 'x@other.example'], data)
except smtplib.SMTPDataError as e:
    out['data'] = [e.smtp_code, e.smtp_error.decode()]
s.quit()
print(json.dumps(out))
"#;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("m.eml");
    std::fs::write(&data, &message).unwrap();
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(sink.port.to_string())
        .arg(&data)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let caps = out["ehlo"].as_str().unwrap();
    for cap in ["PIPELINING", "SIZE 2000000", "8BITMIME"] {
        assert!(caps.contains(cap), "{caps}");
    }
    assert!(
        !caps.contains("STARTTLS"),
        "no STARTTLS without a certificate"
    );
    assert_eq!(out["relay"], 550);
    // The message to a non-existent own address is still kept, then refused with the
    // facts of this very message.
    assert_eq!(out["data"][0], 550);
    let text = out["data"][1].as_str().unwrap();
    assert!(
        text.contains("victim-domain.net did not send this message"),
        "{text}"
    );
    assert!(
        text.contains("smarttrck.com"),
        "the advertised site is named: {text}"
    );
    // Only the labelled origin may be named (or none).
    assert!(
        text.contains("The spam was sent from 66.108.239.242 ")
            || text.contains("could not be established"),
        "{text}"
    );
    assert!(
        text.bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b))
    );
    let kept = files(&sink.maildir.join("new"));
    assert_eq!(kept.len(), 1);
    let bytes = std::fs::read(&kept[0]).unwrap();
    assert!(
        bytes.ends_with(&message),
        "kept byte for byte after our line"
    );
    let ours = String::from_utf8_lossy(&bytes[..bytes.len() - message.len()]).into_owned();
    assert!(ours.starts_with("Received: from mail.bouncer.example (unknown [127.0.0.1])\r\n\tby mx.victim-domain.net (blowback sink) with ESMTP id "), "{ours}");
    assert!(
        ours.contains("\r\n\tfor <nobody-here@victim-domain.net>; "),
        "{ours}"
    );
    assert!(files(&sink.maildir.join("tmp")).is_empty());
    assert_eq!(stored(&sink.db), 1);
}

#[test]
fn lettre_delivers_byte_for_byte_and_accept_answers_250() {
    use lettre::address::Envelope;
    use lettre::{SmtpTransport, Transport};
    let sink = start("");
    let message = corpus_crlf("bs-0015.eml");
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .timeout(Some(Duration::from_secs(60)))
        .build();
    let envelope = Envelope::new(None, vec!["abuse@victim-domain.net".parse().unwrap()]).unwrap();
    let response = transport.send_raw(&envelope, &message).unwrap();
    assert_eq!(response.code().to_string(), "250");
    let kept = files(&sink.maildir.join("new"));
    assert_eq!(kept.len(), 1);
    // lettre ends DATA with CRLF . CRLF after the message's own last CRLF, so what it
    // sent is the message and one more empty line.
    let mut sent = message.clone();
    sent.extend_from_slice(b"\r\n");
    let bytes = std::fs::read(&kept[0]).unwrap();
    assert!(bytes.ends_with(&sent), "not kept byte for byte");
    assert!(bytes.starts_with(b"Received: from "));
    assert_eq!(stored(&sink.db), 1);
    // The same bytes again: a second delivery, kept and stored as such (our Received
    // line, with its own id and time, makes it a message of its own).
    transport.send_raw(&envelope, &message).unwrap();
    assert_eq!(files(&sink.maildir.join("new")).len(), 2);
    assert_eq!(stored(&sink.db), 2);
}

#[test]
fn pipelined_transaction_gets_every_reply_in_order() {
    let sink = start("");
    let mut raw = Raw::connect(sink.port);
    raw.send(b"EHLO pipe.example\r\n");
    assert_eq!(code(&raw.reply()), "250");
    raw.send(
        b"MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<a@victim-domain.net>\r\nRCPT TO:<b@elsewhere.example>\r\nRCPT TO:<postmaster>\r\nDATA\r\n",
    );
    let codes: Vec<String> = (0..5).map(|_| code(&raw.reply()).to_string()).collect();
    assert_eq!(codes, ["250", "250", "550", "250", "354"]);
    raw.send(
        b"Subject: piped\r\n\r\n..a dot-stuffed line\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n",
    );
    let codes: Vec<String> = (0..4).map(|_| code(&raw.reply()).to_string()).collect();
    assert_eq!(codes, ["250", "250", "250", "221"]);
    let kept = files(&sink.maildir.join("new"));
    assert_eq!(kept.len(), 1);
    let bytes = std::fs::read(&kept[0]).unwrap();
    assert!(bytes.ends_with(b"Subject: piped\r\n\r\n.a dot-stuffed line\r\nbody\r\n"));
    // Two recipients: our line names none of them.
    assert!(!String::from_utf8_lossy(&bytes).contains("\tfor <"));
}

#[test]
fn a_client_gone_mid_data_leaves_nothing() {
    let sink = start("");
    let mut raw = Raw::connect(sink.port);
    raw.send(b"EHLO gone.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@victim-domain.net>\r\nDATA\r\n");
    for _ in 0..4 {
        raw.reply();
    }
    raw.send(b"Subject: half\r\n\r\n");
    raw.send(&vec![b'x'; 300_000]);
    drop(raw);
    // The session ends when the server reads the end of the stream; then tmp/ is empty.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tmp = files(&sink.maildir.join("tmp"));
        if tmp.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "left in tmp/: {tmp:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The sink goes on serving, and kept nothing of the broken transfer.
    let mut raw = Raw::connect(sink.port);
    raw.send(b"QUIT\r\n");
    assert_eq!(code(&raw.reply()), "221");
    assert!(files(&sink.maildir.join("new")).is_empty());
    assert_eq!(stored(&sink.db), 0);
}

#[test]
fn oversize_messages_are_refused_and_not_kept() {
    let sink = start("max_message_bytes = 100000");
    let mut raw = Raw::connect(sink.port);
    raw.send(b"EHLO big.example\r\n");
    raw.reply();
    // Announced too big: refused at MAIL.
    raw.send(b"MAIL FROM:<> SIZE=100001\r\n");
    assert!(raw.reply().starts_with("552 5.3.4"));
    // Not announced: read to its end (one long line, no line ends at all), refused.
    raw.send(b"MAIL FROM:<>\r\nRCPT TO:<a@victim-domain.net>\r\nDATA\r\n");
    for want in ["250", "250", "354"] {
        assert_eq!(code(&raw.reply()), want);
    }
    raw.send(b"Subject: big\r\n\r\n");
    raw.send(&vec![b'y'; 1_000_000]);
    raw.send(b"\r\n.\r\n");
    assert!(raw.reply().starts_with("552 5.3.4"));
    // The session is fine afterwards.
    raw.send(b"MAIL FROM:<>\r\nRCPT TO:<a@victim-domain.net>\r\nDATA\r\n");
    for want in ["250", "250", "354"] {
        assert_eq!(code(&raw.reply()), want);
    }
    raw.send(b"Subject: small\r\n\r\nok\r\n.\r\n");
    assert_eq!(code(&raw.reply()), "250");
    assert_eq!(files(&sink.maildir.join("new")).len(), 1);
    assert!(files(&sink.maildir.join("tmp")).is_empty());
    // A command line past every limit ends the session.
    raw.send(&vec![b'N'; 10_000]);
    raw.send(b"\r\n");
    assert!(raw.reply().starts_with("500 5.5.2"));
}

#[test]
fn two_hundred_parallel_connections_all_delivered() {
    let sink = start("max_connections = 256");
    let port = sink.port;
    let threads: Vec<_> = (0..200)
        .map(|i| {
            std::thread::spawn(move || {
                let mut raw = Raw::connect(port);
                raw.send(format!("EHLO c{i}.example\r\nMAIL FROM:<>\r\nRCPT TO:<u{i}@victim-domain.net>\r\nDATA\r\n").as_bytes());
                for want in ["250", "250", "250", "354"] {
                    assert_eq!(code(&raw.reply()), want);
                }
                raw.send(format!("Subject: parallel {i}\r\nMessage-ID: <{i}@c.example>\r\n\r\nnumber {i}\r\n.\r\nQUIT\r\n").as_bytes());
                assert_eq!(code(&raw.reply()), "250");
                assert_eq!(code(&raw.reply()), "221");
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(files(&sink.maildir.join("new")).len(), 200);
    assert_eq!(stored(&sink.db), 200);
}

#[test]
fn over_the_connection_cap_is_told_421() {
    let sink = start("max_connections = 2");
    let _a = Raw::connect(sink.port);
    let _b = Raw::connect(sink.port);
    let mut c = TcpStream::connect(("127.0.0.1", sink.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("421 "), "{text}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut sink = start("");
    let mut idle = Raw::connect(sink.port);
    idle.send(b"EHLO idle.example\r\n");
    idle.reply();
    let status = Command::new("kill")
        .args(["-TERM", &sink.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(idle.reply().starts_with("421 4.3.2"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = sink.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(TcpStream::connect(("127.0.0.1", sink.port)).is_err());
}

#[test]
fn starttls_with_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mx.victim-domain.net",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl makes the test certificate");
    assert!(made.success());
    let sink = start(&format!("tls_cert = {:?}\ntls_key = {:?}", cert, key));
    let script = r#"
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=60)
s.ehlo('tls.example')
assert s.has_extn('starttls')
s.starttls(context=ssl._create_unverified_context())
s.ehlo('tls.example')
assert not s.has_extn('starttls')
s.sendmail('', ['a@victim-domain.net'], b'Subject: secret\r\n\r\nover TLS\r\n')
s.quit()
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(sink.port.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kept = files(&sink.maildir.join("new"));
    assert_eq!(kept.len(), 1);
    let text = std::fs::read_to_string(&kept[0]).unwrap();
    assert!(text.contains("with ESMTPS id"), "{text}");
    assert!(text.ends_with("Subject: secret\r\n\r\nover TLS\r\n"));
}
