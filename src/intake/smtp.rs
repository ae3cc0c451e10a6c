//! One SMTP session (RFC 5321 with 8BITMIME, SIZE, PIPELINING and, when configured,
//! STARTTLS per RFC 3207), from the greeting to QUIT. The message goes to the Maildir
//! while it arrives, with our Received line on top; it is committed (synced, renamed,
//! directory synced) before the answer to DATA, then analysed, stored and answered as
//! `[sink] answer` says.
//!
//! Every read is bounded: command lines by length and time, DATA by size and time (an
//! oversize message is read to its end and refused, never held in memory), the session
//! by its number of commands. Reads wake once a second so that a shutdown reaches idle
//! sessions; a transfer under way is finished first.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::verdict::VerdictKind;

use super::keep::Keeper;
use super::maildir_write::{Maildir, Pending};
use super::{SinkAnswer, SinkSettings, answer, printable_ascii};

/// How often a waiting read wakes to look at the shutdown flag and its deadline.
pub const POLL: Duration = Duration::from_secs(1);
/// Longest command line (RFC 5321 4.5.3.1.4: 512 octets with CRLF; some room for
/// extension parameters).
const MAX_COMMAND_LINE: usize = 2048;
/// DATA is read in pieces of at most this many bytes, however long its lines.
const DATA_CHUNK: usize = 64 * 1024;

/// What every session of one sink shares.
pub struct Context {
    pub config: Config,
    pub settings: SinkSettings,
    pub hostname: String,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub maildir: Maildir,
    pub keeper: Keeper,
    pub shutdown: Arc<AtomicBool>,
}

/// A connection before or after STARTTLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
    /// Only while the plain connection is handed to TLS.
    Closed,
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
            Conn::Closed => Ok(0),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
            Conn::Closed => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
            Conn::Closed => Ok(()),
        }
    }
}

/// What one read gave.
enum Got {
    /// A piece ending with LF (`true`) or cut at the length limit (`false`).
    Piece(bool),
    Eof,
    Timeout,
    /// The sink is shutting down and nothing of a new line had arrived.
    Shutdown,
}

/// One session's state.
struct Session<'c> {
    ctx: &'c Context,
    peer: SocketAddr,
    reader: BufReader<Conn>,
    /// Replies not yet sent: with PIPELINING they go out when the client waits.
    out: Vec<u8>,
    helo: Option<String>,
    esmtp: bool,
    tls_active: bool,
    /// `Some` between MAIL and the end of the transaction (the reverse-path).
    from: Option<String>,
    rcpts: Vec<String>,
    commands: usize,
}

/// How a session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    Quit,
    ClientGone,
    Timeout,
    Shutdown,
    Refused,
}

/// Serves one connection to its end.
pub fn serve(tcp: TcpStream, peer: SocketAddr, ctx: &Context) -> io::Result<Ending> {
    tcp.set_read_timeout(Some(POLL))?;
    tcp.set_write_timeout(Some(Duration::from_secs(ctx.settings.command_timeout_secs)))?;
    tcp.set_nodelay(true)?;
    let mut session = Session {
        ctx,
        peer,
        reader: BufReader::with_capacity(16 * 1024, Conn::Plain(tcp)),
        out: Vec::new(),
        helo: None,
        esmtp: false,
        tls_active: false,
        from: None,
        rcpts: Vec::new(),
        commands: 0,
    };
    session.reply(220, &[&format!("{} ESMTP blowback sink", ctx.hostname)]);
    session.flush()?;
    let ending = session.run();
    let _ = session.flush();
    ending
}

/// Splits a command line into its verb (upper-case) and the rest.
fn verb_of(line: &str) -> (String, &str) {
    let line = line.trim_end_matches(['\r', '\n']);
    match line.split_once(' ') {
        Some((verb, rest)) => (verb.to_ascii_uppercase(), rest.trim()),
        None => (line.to_ascii_uppercase(), ""),
    }
}

/// The path of `MAIL FROM:<path> params` or `RCPT TO:<path> params` after the keyword
/// (`FROM:`/`TO:`), and the parameters. Lenient about a space after the colon and a
/// missing pair of angle brackets.
fn path_and_params<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        Some((&inner[..end], inner[end + 1..].trim()))
    } else {
        Some(match rest.split_once(' ') {
            Some((path, params)) => (path, params.trim()),
            None => (rest, ""),
        })
    }
}

/// The mailbox of a path, without an RFC 5321 source route (`@a,@b:user@d`).
fn mailbox(path: &str) -> &str {
    match path.starts_with('@') {
        true => path.split_once(':').map_or(path, |(_, m)| m),
        false => path,
    }
}

/// Text from the client that goes into our Received line: host names, address literals
/// and addresses only; any other byte becomes `_`.
fn header_token(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_:[]@+=!#$%&'*/?^`{|}~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Session<'_> {
    fn settings(&self) -> &SinkSettings {
        &self.ctx.settings
    }

    /// Queues a reply; lines after the first are continuation lines.
    fn reply(&mut self, code: u16, lines: &[&str]) {
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            let line = printable_ascii(line, answer::MAX_LINE);
            self.out
                .extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let conn = self.reader.get_mut();
        conn.write_all(&self.out)?;
        conn.flush()?;
        self.out.clear();
        Ok(())
    }

    /// Reads up to `limit` bytes, to the end of a line at most, into `buf` (cleared
    /// first), waiting until `deadline`. `idle` lets a shutdown end the wait.
    fn read_piece(
        &mut self,
        buf: &mut Vec<u8>,
        limit: usize,
        deadline: Instant,
        idle: bool,
    ) -> io::Result<Got> {
        buf.clear();
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() >= deadline {
                        return Ok(Got::Timeout);
                    }
                    if idle && buf.is_empty() && self.ctx.shutdown.load(Ordering::Relaxed) {
                        return Ok(Got::Shutdown);
                    }
                    continue;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                return Ok(Got::Eof);
            }
            let room = limit - buf.len();
            let (take, complete) = match memchr::memchr(b'\n', available) {
                Some(pos) if pos < room => (pos + 1, true),
                _ => (available.len().min(room), false),
            };
            buf.extend_from_slice(&available[..take]);
            self.reader.consume(take);
            if complete {
                return Ok(Got::Piece(true));
            }
            if buf.len() == limit {
                return Ok(Got::Piece(false));
            }
        }
    }

    fn run(&mut self) -> io::Result<Ending> {
        let mut line = Vec::new();
        loop {
            // Replies go out when the client has sent all it pipelined.
            if self.reader.buffer().is_empty() {
                self.flush()?;
            }
            let deadline =
                Instant::now() + Duration::from_secs(self.settings().command_timeout_secs);
            match self.read_piece(&mut line, MAX_COMMAND_LINE, deadline, true)? {
                Got::Piece(true) => {}
                Got::Piece(false) => {
                    self.reply(500, &["5.5.2 Line too long"]);
                    return Ok(Ending::Refused);
                }
                Got::Eof => return Ok(Ending::ClientGone),
                Got::Timeout => {
                    self.reply(421, &["4.4.2 Timeout, closing connection"]);
                    return Ok(Ending::Timeout);
                }
                Got::Shutdown => {
                    self.reply(421, &["4.3.2 Shutting down, try again later"]);
                    return Ok(Ending::Shutdown);
                }
            }
            self.commands += 1;
            if self.commands > self.settings().max_commands {
                self.reply(421, &["4.7.0 Too many commands, closing connection"]);
                return Ok(Ending::Refused);
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let (verb, rest) = verb_of(&text);
            match verb.as_str() {
                "EHLO" | "HELO" => self.hello(&verb, rest),
                "MAIL" => self.mail(rest),
                "RCPT" => self.rcpt(rest),
                "DATA" => {
                    if let Some(ending) = self.data()? {
                        return Ok(ending);
                    }
                }
                "RSET" => {
                    self.reset();
                    self.reply(250, &["2.0.0 Ok"]);
                }
                "NOOP" => self.reply(250, &["2.0.0 Ok"]),
                "VRFY" => self.reply(252, &["2.5.0 Cannot verify, but will accept the message"]),
                "HELP" => self.reply(214, &["2.0.0 See RFC 5321"]),
                "QUIT" => {
                    self.reply(221, &[&format!("2.0.0 {} closing", self.ctx.hostname)]);
                    return Ok(Ending::Quit);
                }
                "STARTTLS" => self.starttls()?,
                "BDAT" | "AUTH" | "ETRN" | "TURN" | "EXPN" => {
                    self.reply(502, &["5.5.1 Command not implemented"])
                }
                _ => self.reply(500, &["5.5.2 Command not recognised"]),
            }
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.rcpts.clear();
    }

    fn hello(&mut self, verb: &str, rest: &str) {
        if rest.is_empty() {
            self.reply(501, &["5.5.4 Give your host name"]);
            return;
        }
        self.reset();
        self.helo = Some(header_token(rest.split(' ').next().unwrap_or(rest), 255));
        self.esmtp = verb == "EHLO";
        if !self.esmtp {
            self.reply(250, &[&self.ctx.hostname.clone()]);
            return;
        }
        let mut lines = vec![
            self.ctx.hostname.clone(),
            "PIPELINING".to_string(),
            format!("SIZE {}", self.settings().max_message_bytes),
            "8BITMIME".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if self.ctx.tls.is_some() && !self.tls_active {
            lines.push("STARTTLS".into());
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.reply(250, &lines);
    }

    fn mail(&mut self, rest: &str) {
        if self.helo.is_none() {
            return self.reply(503, &["5.5.1 Say EHLO first"]);
        }
        if self.from.is_some() {
            return self.reply(503, &["5.5.1 Nested MAIL command"]);
        }
        let Some((path, params)) = path_and_params(rest, "FROM:") else {
            return self.reply(501, &["5.5.4 Syntax: MAIL FROM:<address>"]);
        };
        for param in params.split_ascii_whitespace() {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            if key.eq_ignore_ascii_case("SIZE") {
                match value.parse::<u64>() {
                    Ok(size) if size > self.settings().max_message_bytes => {
                        return self.reply(552, &["5.3.4 Message size exceeds fixed limit"]);
                    }
                    Ok(_) => {}
                    Err(_) => return self.reply(501, &["5.5.4 Bad SIZE parameter"]),
                }
            }
        }
        self.from = Some(header_token(mailbox(path), 320));
        self.reply(250, &["2.1.0 Ok"]);
    }

    fn rcpt(&mut self, rest: &str) {
        if self.from.is_none() {
            return self.reply(503, &["5.5.1 Need MAIL before RCPT"]);
        }
        let Some((path, _params)) = path_and_params(rest, "TO:") else {
            return self.reply(501, &["5.5.4 Syntax: RCPT TO:<address>"]);
        };
        let address = mailbox(path);
        // RFC 5321 4.5.1: <postmaster> without a domain must be accepted.
        let ours = match address.rsplit_once('@') {
            Some((_, domain)) => self.ctx.config.is_own_domain(domain),
            None => address.eq_ignore_ascii_case("postmaster"),
        };
        if !ours {
            return self.reply(550, &["5.7.1 Relay access denied"]);
        }
        if self.rcpts.len() >= self.settings().max_recipients {
            return self.reply(452, &["4.5.3 Too many recipients"]);
        }
        self.rcpts
            .push(header_token(address, 320).to_ascii_lowercase());
        self.reply(250, &["2.1.5 Ok"]);
    }

    fn received_line(&self, id: &str, now: i64) -> String {
        let with = match (self.esmtp, self.tls_active) {
            (true, true) => "ESMTPS",
            (true, false) => "ESMTP",
            (false, _) => "SMTP",
        };
        let helo = self.helo.as_deref().unwrap_or("unknown");
        let only = match self.rcpts.as_slice() {
            [only] => Some(only.as_str()),
            _ => None,
        };
        received_line(
            self.peer.ip(),
            helo,
            &self.ctx.hostname,
            with,
            only,
            id,
            now,
        )
    }

    /// DATA: returns an ending when the session is over.
    fn data(&mut self) -> io::Result<Option<Ending>> {
        if self.from.is_none() {
            self.reply(503, &["5.5.1 Need MAIL first"]);
            return Ok(None);
        }
        if self.rcpts.is_empty() {
            self.reply(554, &["5.5.1 No valid recipients"]);
            return Ok(None);
        }
        let pending = self.ctx.maildir.begin().and_then(|mut pending| {
            let now = unix_now();
            let id = pending_id();
            pending.write_all(self.received_line(&id, now).as_bytes())?;
            Ok(pending)
        });
        let mut pending = match pending {
            Ok(pending) => Some(pending),
            Err(err) => {
                eprintln!("blowback sink: cannot write to the Maildir: {err}");
                self.reply(451, &["4.3.0 Local error, try again later"]);
                return Ok(None);
            }
        };
        self.reply(354, &["End data with <CR><LF>.<CR><LF>"]);
        self.flush()?;
        let max = self.settings().max_message_bytes;
        let data_deadline = Instant::now() + Duration::from_secs(self.settings().data_timeout_secs);
        let line_wait = Duration::from_secs(self.settings().command_timeout_secs);
        let mut buf = Vec::with_capacity(DATA_CHUNK);
        let mut at_line_start = true;
        let mut body_bytes = 0u64;
        let mut too_big = false;
        let mut write_failed = None;
        loop {
            let deadline = (Instant::now() + line_wait).min(data_deadline);
            let complete = match self.read_piece(&mut buf, DATA_CHUNK, deadline, false)? {
                Got::Piece(complete) => complete,
                // Dropping `pending` removes its file: nothing half-written stays.
                Got::Eof => return Ok(Some(Ending::ClientGone)),
                Got::Timeout | Got::Shutdown => {
                    self.reply(421, &["4.4.2 Timeout during DATA, closing connection"]);
                    return Ok(Some(Ending::Timeout));
                }
            };
            if at_line_start && complete && (buf == b".\r\n" || buf == b".\n") {
                break;
            }
            // RFC 5321 4.5.2: a leading dot was doubled by the client.
            let content = match at_line_start && buf.first() == Some(&b'.') {
                true => &buf[1..],
                false => &buf[..],
            };
            at_line_start = complete;
            body_bytes += content.len() as u64;
            if body_bytes > max {
                too_big = true;
                pending = None;
            }
            if let Some(p) = pending.as_mut()
                && let Err(err) = p.write_all(content)
            {
                write_failed = Some(err);
                pending = None;
            }
        }
        match (too_big, write_failed, pending) {
            (true, _, _) => self.reply(552, &["5.3.4 Message size exceeds fixed limit"]),
            (false, Some(err), _) => {
                eprintln!("blowback sink: cannot write to the Maildir: {err}");
                self.reply(451, &["4.3.0 Local error, try again later"]);
            }
            (false, None, Some(pending)) => self.commit_and_answer(pending),
            (false, None, None) => self.reply(451, &["4.3.0 Local error, try again later"]),
        }
        self.reset();
        Ok(None)
    }

    /// Commits the message to `new/`, analyses and stores it, and answers.
    fn commit_and_answer(&mut self, pending: Pending) {
        let path = match pending.commit() {
            Ok(path) => path,
            Err(err) => {
                eprintln!("blowback sink: cannot commit to the Maildir: {err}");
                self.reply(451, &["4.3.0 Local error, try again later"]);
                self.reset();
                return;
            }
        };
        let domain = self
            .rcpts
            .iter()
            .find_map(|r| r.rsplit_once('@').map(|(_, d)| d.to_string()))
            .or_else(|| self.ctx.config.own_domains.first().cloned())
            .unwrap_or_default();
        self.reset();
        let name = file_name(&path);
        let record = match std::fs::read(&path) {
            Ok(bytes) => match self.ctx.keeper.keep(&path, bytes, unix_now()) {
                Ok(record) => record,
                Err(err) => {
                    eprintln!("blowback sink: {name}: kept, but not stored: {err}");
                    None
                }
            },
            Err(err) => {
                eprintln!("blowback sink: {name}: kept, but cannot read it back: {err}");
                None
            }
        };
        log_kept(self.peer, &name, record.as_ref());
        let reject = self.settings().answer == SinkAnswer::Reject
            && record
                .as_ref()
                .is_some_and(|r| r.verdict != VerdictKind::OwnBounce);
        match (reject, record) {
            (true, Some(record)) => {
                let lines: Vec<String> = answer::reject_lines(&record, &domain)
                    .into_iter()
                    .map(|line| format!("5.7.1 {line}"))
                    .collect();
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                self.reply(550, &lines);
            }
            _ => self.reply(250, &[&format!("2.0.0 Ok: kept as {name}")]),
        }
    }

    fn starttls(&mut self) -> io::Result<()> {
        let Some(tls) = self.ctx.tls.clone().filter(|_| !self.tls_active) else {
            self.reply(502, &["5.5.1 STARTTLS not available"]);
            return Ok(());
        };
        self.reply(220, &["2.0.0 Ready to start TLS"]);
        self.flush()?;
        // Anything the client sent after STARTTLS in clear text is dropped (RFC 3207 5:
        // no command injection across the upgrade).
        let old = std::mem::replace(&mut self.reader, BufReader::new(Conn::Closed));
        let Conn::Plain(tcp) = old.into_inner() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let conn = rustls::ServerConnection::new(tls).map_err(io::Error::other)?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let deadline = Instant::now() + Duration::from_secs(self.settings().command_timeout_secs);
        while stream.conn.is_handshaking() {
            match stream.conn.complete_io(&mut stream.sock) {
                Ok(_) => {}
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) && Instant::now() < deadline => {}
                Err(err) => return Err(err),
            }
        }
        self.reader = BufReader::with_capacity(16 * 1024, Conn::Tls(Box::new(stream)));
        self.tls_active = true;
        self.helo = None;
        self.esmtp = false;
        self.reset();
        Ok(())
    }
}

/// Our Received line: the peer's address and HELO and the time, as MTAs write it
/// (Postfix's form, which every Received parser knows). `for` names the recipient only
/// when there is one.
fn received_line(
    peer: std::net::IpAddr,
    helo: &str,
    host: &str,
    with: &str,
    rcpt: Option<&str>,
    id: &str,
    now: i64,
) -> String {
    let mut line = format!(
        "Received: from {helo} (unknown [{peer}])\r\n\tby {host} (blowback sink) with {with} id {id}"
    );
    if let Some(rcpt) = rcpt {
        line.push_str(&format!("\r\n\tfor <{rcpt}>"));
    }
    let date = mail_parser::DateTime::from_timestamp(now).to_rfc822();
    line.push_str(&format!("; {date}\r\n"));
    line
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A queue id for our Received line: unique per delivery of this process.
fn pending_id() -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:X}{:04X}", unix_now(), n & 0xffff)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn log_kept(peer: SocketAddr, name: &str, record: Option<&crate::output::Record>) {
    let (verdict, origin) = match record {
        Some(r) => (
            serde_json::to_value(r.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            r.origin
                .as_ref()
                .map(|o| o.found.ip.clone())
                .unwrap_or_else(|| "unknown".into()),
        ),
        None => ("unanalysed".into(), "unknown".into()),
    };
    eprintln!(
        "blowback sink: {} kept new/{} verdict {} origin {}",
        peer.ip(),
        printable_ascii(name, 200),
        verdict,
        printable_ascii(&origin, 60)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_params() {
        assert_eq!(
            path_and_params("FROM:<a@b.example> SIZE=10 BODY=8BITMIME", "FROM:"),
            Some(("a@b.example", "SIZE=10 BODY=8BITMIME"))
        );
        assert_eq!(path_and_params("from: <>", "FROM:"), Some(("", "")));
        assert_eq!(path_and_params("TO:x@y", "TO:"), Some(("x@y", "")));
        assert_eq!(path_and_params("TO", "TO:"), None);
        assert_eq!(mailbox("@relay.example:u@d.example"), "u@d.example");
    }

    /// A corpus bounce as its bouncer handed it over (our own lines taken off), with the
    /// sink's line on top: the walk takes the sink's peer as the bouncer and finds the
    /// labelled origin below it.
    #[test]
    fn the_walk_anchors_on_our_received_line() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/corpus/backscatter/bs-0021.eml"
        );
        let bytes = std::fs::read(path).unwrap();
        let as_sent = strip_our_lines(&bytes, "victim-domain.net");
        assert!(as_sent.len() < bytes.len());
        let peer: std::net::IpAddr = "193.201.183.73".parse().unwrap();
        let line = received_line(
            peer,
            "mail.bouncer.example",
            "mx.victim-domain.net",
            "ESMTP",
            Some("someone@victim-domain.net"),
            "1",
            1_700_000_000,
        );
        let mut message = line.into_bytes();
        message.extend_from_slice(&as_sent);
        let config = crate::config::Config {
            own_domains: vec!["victim-domain.net".into()],
            own_mx: vec!["mx.victim-domain.net".into()],
            ..Default::default()
        };
        let analyzer = crate::app::Analyzer::new(config, Default::default(), false, 0);
        let (_, walk) = analyzer.decode_and_walk(&message);
        assert_eq!(walk.bouncer_ip.as_deref(), Some("193.201.183.73"));
        assert_eq!(walk.origin.map(|o| o.ip).as_deref(), Some("66.108.239.242"));
    }

    /// The header fields our own mail system added on arrival (the ones a sink in its
    /// place would not have written) taken off the top.
    fn strip_our_lines(bytes: &[u8], domain: &str) -> Vec<u8> {
        let text = String::from_utf8_lossy(bytes);
        let (head, body) = text.split_once("\n\n").unwrap();
        let mut fields: Vec<String> = Vec::new();
        for line in head.split('\n') {
            match fields.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => {
                    last.push('\n');
                    last.push_str(line);
                }
                _ => fields.push(line.to_string()),
            }
        }
        let ours = |field: &str| {
            let lower = field.to_ascii_lowercase();
            let by_us = lower.starts_with("received:")
                && lower
                    .split_whitespace()
                    .skip_while(|w| *w != "by")
                    .nth(1)
                    .is_some_and(|host| host.ends_with(domain));
            by_us
                || ["return-path:", "x-original-to:", "delivered-to:"]
                    .iter()
                    .any(|name| lower.starts_with(name))
        };
        let kept: Vec<String> = fields.into_iter().skip_while(|f| ours(f)).collect();
        format!("{}\n\n{body}", kept.join("\n")).into_bytes()
    }

    #[test]
    fn header_tokens_cannot_break_the_header() {
        assert_eq!(
            header_token("evil\r\nX-Injected: 1", 100),
            "evil__X-Injected:_1"
        );
        assert_eq!(header_token("[192.0.2.1]", 100), "[192.0.2.1]");
    }
}
