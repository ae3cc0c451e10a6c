//! `report`, `review` and `send` as processes against a real SMTP server on loopback
//! (aiosmtpd from PyPI, installed by .ci/run, saving what it receives in a Maildir).
//! Real corpus bounces go in; the test reads back what the server received, and shows
//! that an unapproved complaint is refused, that a second `send` sends nothing, and
//! that a complaint with no known abuse address is never sent.

use std::net::{TcpListener, TcpStream};

use mail_parser::MimeHeaders;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SMTP server process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(dir: &Path) -> Server {
    let maildir = dir.join("received");
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd is needed (installed by .ci/run: pip install aiosmtpd)");
    let server = Server {
        child,
        port,
        maildir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the aiosmtpd server did not start on port {port} (is aiosmtpd installed? .ci/run installs it)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// What the server saved: (envelope recipients, message bytes).
fn received(server: &Server) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(server.maildir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let parsed = mail_parser::MessageParser::new().parse(&bytes).unwrap();
            let rcpt = parsed
                .header_raw("X-RcptTo")
                .unwrap_or_default()
                .trim()
                .to_string();
            out.push((rcpt, bytes));
        }
    }
    out.sort();
    out
}

fn blowback(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blowback"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("BLOWBACK_SMTP_PASSWORD")
        .current_dir(repo())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn approved_complaints_reach_a_real_smtp_server_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let config = dir.path().join("blowback.toml");
    let db = dir.path().join("sent.sqlite");
    std::fs::write(
        &config,
        format!(
            r#"own_domains = ["victim-domain.net"]
[report]
reporter_name = "Victim Domain Postmaster"
reporter_address = "postmaster@victim-domain.net"
[report.addresses]
AS8708 = "abuse@rcs-rds.ro"
AS12322 = "abuse@proxad.net"
[report.smtp]
host = "127.0.0.1"
port = {}
tls = "none"
rate_per_minute = 600
"#,
            server.port
        ),
    )
    .unwrap();
    let outbox = dir.path().join("outbox");
    let outbox_s = outbox.display().to_string();
    let db_s = db.display().to_string();
    let corpus = |n: &str| format!("tests/fixtures/corpus/backscatter/{n}");
    let run = blowback(
        &config,
        &[
            "report",
            "--offline",
            "--data-dir",
            "data",
            "--cache",
            &dir.path().join("cache.sqlite").display().to_string(),
            "--out",
            &outbox_s,
            &corpus("bs-0002.eml"),
            &corpus("bs-0010.eml"),
            &corpus("bs-0042.eml"),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outbox.join("INDEX.json")).unwrap()).unwrap();
    let entries = index.as_array().unwrap();
    // Only verified addresses are ever delivered to; an unverified one (a mailbox
    // provider's hand-curated address) is written but held back.
    let sendable: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["address"].is_string() && e["address_status"] == "verified")
        .collect();
    let held: Vec<&str> = entries
        .iter()
        .filter(|e| e["address"].is_string() && e["address_status"] != "verified")
        .filter_map(|e| e["address"].as_str())
        .collect();
    let file_of = |address: &str| {
        entries.iter().find(|e| e["address"] == address).unwrap()["file"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // A dry run sends nothing and names what it would do.
    let dry = blowback(&config, &["send", &outbox_s]);
    assert!(stdout(&dry).contains("refused:"), "{}", stdout(&dry));
    assert!(received(&server).is_empty());

    // Nothing is approved yet: --really refuses every complaint that rests on
    // third-party headers, with a clear message, and the exit code says so.
    let refused = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stdout(&refused);
    assert!(
        text.contains("rests on headers written by third parties and is not approved"),
        "{text}"
    );
    assert!(text.contains("blowback review"), "{text}");
    assert!(text.contains("no abuse address known"), "{text}");
    assert!(received(&server).is_empty());

    // Without a terminal and without flags, review only lists.
    let listed = blowback(&config, &["review", &outbox_s]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(
        stdout(&listed).contains("waiting for approval"),
        "{}",
        stdout(&listed)
    );

    // Approving one file sends that one only.
    let fr = file_of("abuse@proxad.net");
    let one = blowback(&config, &["review", &outbox_s, "--approve", &fr]);
    assert!(
        one.status.success() || one.status.code() == Some(1),
        "{}",
        stdout(&one)
    );
    let first = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    assert!(
        stdout(&first).contains(&format!("sent: {fr} to abuse@proxad.net")),
        "{}",
        stdout(&first)
    );
    assert_eq!(received(&server).len(), 1);

    // --approve-all, said explicitly, then the rest goes out.
    let all = blowback(&config, &["review", &outbox_s, "--approve-all"]);
    assert!(all.status.success(), "{}", stdout(&all));
    let second = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    assert!(second.status.success(), "{}", stdout(&second));
    assert!(
        stdout(&second).contains(&format!("already sent: {fr}")),
        "{}",
        stdout(&second)
    );

    // What the server received: one message per complaint with an address, each the
    // outbox file, to the party's address, from the reporter.
    let got = received(&server);
    assert_eq!(got.len(), sendable.len(), "{got:?}");
    assert!(
        got.iter().all(|(rcpt, _)| !held.contains(&rcpt.as_str())),
        "an unverified address was delivered to: {held:?}"
    );
    for entry in &sendable {
        let address = entry["address"].as_str().unwrap();
        let (_, bytes) = got
            .iter()
            .find(|(rcpt, _)| rcpt == address)
            .unwrap_or_else(|| panic!("nothing received for {address}"));
        let parsed = mail_parser::MessageParser::new().parse(bytes).unwrap();
        assert_eq!(
            parsed.header_raw("X-Blowback-Case").unwrap().trim(),
            entry["case_id"].as_str().unwrap()
        );
        assert_eq!(
            parsed.header_raw("X-MailFrom").unwrap().trim(),
            "postmaster@victim-domain.net"
        );
        assert!(parsed.subject().is_some());
        if entry["party_kind"] == "source_network" {
            assert!(parsed.attachments().any(|a| a.message().is_some_and(|m| {
                m.content_type()
                    .is_some_and(|c| c.subtype() == Some("report"))
            })));
        }
    }
    assert!(got.iter().any(|(rcpt, _)| rcpt == "abuse@rcs-rds.ro"));

    // A second send sends nothing.
    let again = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    assert!(again.status.success(), "{}", stdout(&again));
    assert!(
        stdout(&again).starts_with("already sent:") || stdout(&again).contains("0 sent"),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("0 sent,"), "{}", stdout(&again));
    assert_eq!(received(&server).len(), sendable.len());
}

#[test]
fn a_complaint_changed_after_approval_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("blowback.toml");
    std::fs::write(
        &config,
        "own_domains = [\"victim-domain.net\"]\n[report]\nreporter_address = \"postmaster@victim-domain.net\"\n[report.addresses]\nAS8708 = \"abuse@rcs-rds.ro\"\n",
    )
    .unwrap();
    let outbox = dir.path().join("outbox");
    let outbox_s = outbox.display().to_string();
    let run = blowback(
        &config,
        &[
            "report",
            "--offline",
            "--data-dir",
            "data",
            "--out",
            &outbox_s,
            "tests/fixtures/corpus/backscatter/bs-0042.eml",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        blowback(&config, &["review", &outbox_s, "--approve-all"])
            .status
            .success()
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outbox.join("INDEX.json")).unwrap()).unwrap();
    let file = index
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["address"] == "abuse@rcs-rds.ro")
        .unwrap()["file"]
        .as_str()
        .unwrap()
        .to_string();
    let dry = blowback(&config, &["send", &outbox_s]);
    assert!(
        stdout(&dry).contains(&format!("would send: {file} to abuse@rcs-rds.ro")),
        "{}",
        stdout(&dry)
    );
    let path = outbox.join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"tampered\r\n");
    std::fs::write(&path, bytes).unwrap();
    let after = blowback(&config, &["send", &outbox_s]);
    assert!(
        stdout(&after).contains(&format!("refused: {file}")),
        "{}",
        stdout(&after)
    );
    // --really without a store is a usage error: nothing could be kept from being sent twice.
    let no_db = blowback(&config, &["send", &outbox_s, "--really"]);
    assert_eq!(no_db.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_db.stderr).contains("needs the store"));
}

/// Writes the config for a report of three corpus messages whose AS addresses are set by
/// hand, sending through `127.0.0.1:port`; returns (config, outbox, db).
fn outbox_for_port(dir: &Path, port: u16) -> (PathBuf, PathBuf, PathBuf) {
    let config = dir.join("blowback.toml");
    std::fs::write(
        &config,
        format!(
            "own_domains = [\"victim-domain.net\"]\n[report]\nreporter_address = \"postmaster@victim-domain.net\"\n[report.addresses]\nAS8708 = \"abuse@rcs-rds.ro\"\nAS12322 = \"abuse@proxad.net\"\n[report.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nrate_per_minute = 600\n"
        ),
    )
    .unwrap();
    let outbox = dir.join("outbox");
    let corpus = |n: &str| format!("tests/fixtures/corpus/backscatter/{n}");
    let run = blowback(
        &config,
        &[
            "report",
            "--offline",
            "--data-dir",
            "data",
            "--out",
            &outbox.display().to_string(),
            &corpus("bs-0010.eml"),
            &corpus("bs-0042.eml"),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let approve = blowback(
        &config,
        &["review", &outbox.display().to_string(), "--approve-all"],
    );
    assert!(approve.status.success(), "{}", stdout(&approve));
    (config, outbox, dir.join("sent.sqlite"))
}

// See: issue 19, point 3 ("approval binds the file as sent").
#[test]
fn an_index_edited_after_approval_does_not_redirect_a_complaint() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let (config, outbox, db) = outbox_for_port(dir.path(), server.port);
    let index_path = outbox.join("INDEX.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let entry = index
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["address"] == "abuse@proxad.net")
        .unwrap();
    assert_eq!(entry["address_status"], "verified");
    let file = entry["file"].as_str().unwrap().to_string();
    entry["address"] = "attacker@evil.example".into();
    std::fs::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();

    let outbox_s = outbox.display().to_string();
    let sent = blowback(
        &config,
        &[
            "send",
            &outbox_s,
            "--really",
            "--db",
            &db.display().to_string(),
        ],
    );
    let text = stdout(&sent);
    assert!(
        text.contains(&format!(
            "note: {file}: INDEX.json names attacker@evil.example but the file is addressed to abuse@proxad.net"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("sent: {file} to abuse@proxad.net")),
        "{text}"
    );
    let got = received(&server);
    assert!(
        got.iter().any(|(rcpt, _)| rcpt == "abuse@proxad.net"),
        "{got:?}"
    );
    assert!(
        got.iter().all(|(rcpt, _)| !rcpt.contains("evil.example")),
        "{got:?}"
    );
}

/// A real SMTP peer (Python asyncio, raw protocol) that takes the first message's DATA in
/// full and then closes the connection without the final reply; later messages get
/// `250`. Each message it read is saved as `<n>.eml` in `dir`.
const DROP_AFTER_DATA: &str = r#"
import asyncio, os, sys
port, out = int(sys.argv[1]), sys.argv[2]
count = 0
async def session(reader, writer):
    global count
    writer.write(b"220 drop.test ESMTP\r\n"); await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-drop.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n"); await writer.drain()
            data = b""
            while not data.endswith(b"\r\n.\r\n"):
                chunk = await reader.readline()
                if not chunk:
                    break
                data += chunk
            count += 1
            with open(os.path.join(out, "%d.eml" % count), "wb") as f:
                f.write(data)
            if count == 1:
                writer.close()
                return
            writer.write(b"250 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n"); await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"#;

// See: issue 19, point 3 ("an SMTP server that dies after DATA causes a duplicate").
#[test]
fn a_delivery_cut_after_data_is_uncertain_and_not_resent_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let saved = dir.path().join("dropped");
    std::fs::create_dir_all(&saved).unwrap();
    let script = dir.path().join("drop.py");
    std::fs::write(&script, DROP_AFTER_DATA).unwrap();
    let child = Command::new("python3")
        .arg(&script)
        .arg(port.to_string())
        .arg(&saved)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is needed");
    let _server = Server {
        child,
        port,
        maildir: saved.clone(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the test SMTP server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (config, outbox, db) = outbox_for_port(dir.path(), port);
    let (outbox_s, db_s) = (outbox.display().to_string(), db.display().to_string());
    let arrived = || std::fs::read_dir(&saved).unwrap().count();

    let first = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    let text = stdout(&first);
    assert_eq!(first.status.code(), Some(1), "{text}");
    let uncertain: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("uncertain: "))
        .collect();
    assert_eq!(uncertain.len(), 1, "{text}");
    assert!(uncertain[0].contains("--retry-uncertain"), "{text}");
    let sent_first = text.lines().filter(|l| l.starts_with("sent: ")).count();
    assert!(sent_first >= 1, "{text}");
    assert_eq!(arrived(), sent_first + 1, "{text}");

    // A plain resume lists the uncertain one and sends nothing: the server did get it.
    let again = blowback(&config, &["send", &outbox_s, "--really", "--db", &db_s]);
    let text = stdout(&again);
    assert!(text.contains("0 sent,"), "{text}");
    assert!(text.contains("1 uncertain"), "{text}");
    assert!(text.contains("it may have been delivered"), "{text}");
    assert_eq!(arrived(), sent_first + 1);

    // Asked explicitly, it is sent again, recorded as sent, and then never again.
    let retry_send = || {
        blowback(
            &config,
            &[
                "send",
                &outbox_s,
                "--really",
                "--db",
                &db_s,
                "--retry-uncertain",
            ],
        )
    };
    let retry = retry_send();
    let text = stdout(&retry);
    assert!(retry.status.success(), "{text}");
    assert!(text.contains("1 sent,"), "{text}");
    assert_eq!(arrived(), sent_first + 2);
    let last = retry_send();
    assert!(stdout(&last).contains("0 sent,"), "{}", stdout(&last));
    assert_eq!(arrived(), sent_first + 2);
}
