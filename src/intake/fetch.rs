//! `blowback fetch`: pulls new messages from an IMAP folder by UID (`imaps://` with TLS
//! from the start, `imap://` with STARTTLS; never in clear text), keeps each byte for
//! byte in the Maildir, analyses and stores it, and then marks or moves it on the server
//! as `[fetch] after` says. UIDVALIDITY and the last UID kept are remembered per folder,
//! after the messages are on disk: a connection dropped mid-fetch loses nothing and the
//! next run goes on where this one stopped. When UIDVALIDITY changes, the folder is read
//! again from the start and messages already kept (same SHA-256 in the Maildir or the
//! store) are not kept twice.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keep::Keeper;
use super::maildir_write::Maildir;

/// Longest wait for the server on any read or write.
const IO_TIMEOUT: Duration = Duration::from_secs(120);
/// Most bytes of message bodies asked for in one UID FETCH.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// How long one IDLE lasts before it is renewed (RFC 2177: under 29 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(10 * 60);

/// Where to fetch from, from `imaps://user@host[:port]/FOLDER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub implicit_tls: bool,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub folder: String,
}

impl Target {
    /// Parses the URL; the user and the folder may be percent-encoded (`%40` for `@`).
    pub fn parse(url: &str) -> Result<Target, String> {
        let (implicit_tls, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("imap://") {
            (false, rest)
        } else {
            return Err(format!(
                "{url}: give imaps://user@host[:port]/FOLDER or imap://…"
            ));
        };
        let (authority, folder) = rest.split_once('/').unwrap_or((rest, "INBOX"));
        let (user, hostport) = authority
            .rsplit_once('@')
            .ok_or_else(|| format!("{url}: no user (imaps://user@host/FOLDER)"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                let port = port
                    .parse()
                    .map_err(|_| format!("{url}: bad port {port}"))?;
                (host, port)
            }
            _ => (hostport, if implicit_tls { 993 } else { 143 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || user.is_empty() {
            return Err(format!("{url}: no host or no user"));
        }
        let folder = percent_decode(folder);
        Ok(Target {
            implicit_tls,
            user: percent_decode(user),
            host: host.to_string(),
            port,
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                folder
            },
        })
    }

    /// The key under which the folder's UIDs are remembered.
    fn key(&self) -> String {
        format!("{}@{}/{}", self.user, self.host, self.folder)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What happens on the server to a message once it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Seen,
    Move(String),
    Nothing,
}

impl After {
    pub fn parse(text: &str) -> Result<After, String> {
        match text {
            "seen" => Ok(After::Seen),
            "none" => Ok(After::Nothing),
            _ => match text.strip_prefix("move:") {
                Some(folder) if !folder.is_empty() => Ok(After::Move(folder.to_string())),
                _ => Err(format!(
                    "[fetch] after = {text:?}: give \"seen\", \"move:FOLDER\" or \"none\""
                )),
            },
        }
    }
}

/// Everything one `fetch` needs.
pub struct FetchOptions {
    pub target: Target,
    pub password: String,
    pub after: After,
    pub batch: usize,
    pub ca_file: Option<PathBuf>,
    pub state_path: PathBuf,
    pub max_message_bytes: u64,
}

/// What one pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// Messages kept in the Maildir.
    pub kept: usize,
    /// Messages already kept before (same bytes), not kept again.
    pub known: usize,
    /// Messages over the size limit, left on the server.
    pub too_big: usize,
}

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("connecting to {0}: {1}")]
    Connect(String, io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("logging in as {0}: {1}")]
    Login(String, Box<imap::Error>),
    #[error("{0}: {1}")]
    Imap(&'static str, Box<imap::Error>),
    #[error("the server did not give the folder's UIDVALIDITY")]
    NoUidValidity,
    #[error("keeping a message in {0}: {1}")]
    Keep(PathBuf, io::Error),
    #[error("fetch state {0}: {1}")]
    State(PathBuf, String),
}

/// The connection under the IMAP client.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl imap::extensions::idle::SetReadTimeout for Stream {
    /// `None` (what IDLE sets when it ends) means our usual timeout: no read waits forever.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.tcp()
            .set_read_timeout(Some(timeout.unwrap_or(IO_TIMEOUT)))
            .map_err(imap::Error::Io)
    }
}

type Session = imap::Session<Stream>;

/// The TLS client settings: the Mozilla roots plus `ca_file`.
fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, FetchError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
            .map_err(|err| FetchError::Tls(format!("[fetch] ca_file {}: {err}", path.display())))?;
        for cert in certs {
            roots.add(cert).map_err(|err| {
                FetchError::Tls(format!("[fetch] ca_file {}: {err}", path.display()))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| FetchError::Tls(err.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn start_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<Stream, FetchError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|err| FetchError::Tls(format!("{host}: {err}")))?;
    let conn = rustls::ClientConnection::new(config, name)
        .map_err(|err| FetchError::Tls(err.to_string()))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|err| FetchError::Tls(format!("handshake with {host}: {err}")))?;
    }
    Ok(Stream::Tls(Box::new(stream)))
}

/// Connects, secures the connection and logs in.
pub fn connect(opts: &FetchOptions) -> Result<Session, FetchError> {
    let target = &opts.target;
    let place = format!("{}:{}", target.host, target.port);
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .map_err(|err| FetchError::Connect(place.clone(), err))?;
    for set in [TcpStream::set_read_timeout, TcpStream::set_write_timeout] {
        set(&tcp, Some(IO_TIMEOUT)).map_err(|err| FetchError::Connect(place.clone(), err))?;
    }
    let tls = tls_config(opts.ca_file.as_deref())?;
    let stream = if target.implicit_tls {
        start_tls(tcp, &target.host, tls)?
    } else {
        // STARTTLS by hand: the crate's own STARTTLS needs one of its TLS back-ends.
        let mut tcp = tcp;
        plain_starttls(&mut tcp).map_err(|err| FetchError::Connect(place.clone(), err))?;
        start_tls(tcp, &target.host, tls)?
    };
    let mut client = imap::Client::new(stream);
    if target.implicit_tls {
        client
            .read_greeting()
            .map_err(|err| FetchError::Imap("reading the greeting", Box::new(err)))?;
    }
    client
        .login(&target.user, &opts.password)
        .map_err(|(err, _)| FetchError::Login(target.user.clone(), Box::new(err)))
}

/// Reads the greeting, asks for STARTTLS and reads its tagged answer, byte by byte so
/// that nothing after it is read in clear text.
fn plain_starttls(tcp: &mut TcpStream) -> io::Result<()> {
    fn line(tcp: &mut TcpStream) -> io::Result<String> {
        let mut out = Vec::new();
        let mut byte = [0u8];
        while out.len() < 8192 {
            if tcp.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            out.push(byte[0]);
            if byte[0] == b'\n' {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
    let greeting = line(tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(io::Error::other(format!(
            "unexpected greeting {:?}",
            crate::output::printable(greeting.trim_end())
        )));
    }
    tcp.write_all(b"S1 STARTTLS\r\n")?;
    loop {
        let answer = line(tcp)?;
        if answer.starts_with("S1 OK") {
            return Ok(());
        }
        if answer.starts_with("S1 ") {
            return Err(io::Error::other(format!(
                "the server refused STARTTLS: {}",
                crate::output::printable(answer.trim_end())
            )));
        }
    }
}

/// The remembered UIDs of every folder fetched into one Maildir.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    folders: BTreeMap<String, FolderState>,
}

#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
struct FolderState {
    uidvalidity: u32,
    last_uid: u32,
}

impl State {
    fn load(path: &Path) -> Result<State, FetchError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|err| FetchError::State(path.to_path_buf(), err.to_string())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(State::default()),
            Err(err) => Err(FetchError::State(path.to_path_buf(), err.to_string())),
        }
    }

    /// Written whole to a temporary file, synced and renamed over the old one.
    fn save(&self, path: &Path) -> Result<(), FetchError> {
        let wrap = |err: io::Error| FetchError::State(path.to_path_buf(), err.to_string());
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(wrap)?;
        file.write_all(&serde_json::to_vec_pretty(self).unwrap_or_default())
            .map_err(wrap)?;
        file.sync_all().map_err(wrap)?;
        std::fs::rename(&tmp, path).map_err(wrap)
    }
}

/// The SHA-256 of every message in the Maildir (`new/` and `cur/`).
fn kept_hashes(maildir: &Maildir) -> HashSet<String> {
    let mut out = HashSet::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.root().join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                out.insert(crate::hash::sha256_hex(&bytes));
            }
        }
    }
    out
}

/// One pull of every message newer than the last one kept.
pub fn pull(
    session: &mut Session,
    opts: &FetchOptions,
    maildir: &Maildir,
    keeper: &Keeper,
    now: i64,
) -> Result<Pulled, FetchError> {
    let mut state = State::load(&opts.state_path)?;
    let key = opts.target.key();
    let mailbox = session
        .select(&opts.target.folder)
        .map_err(|err| FetchError::Imap("selecting the folder", Box::new(err)))?;
    let uidvalidity = mailbox.uid_validity.ok_or(FetchError::NoUidValidity)?;
    let mut folder = state.folders.get(&key).copied().unwrap_or_default();
    if folder.uidvalidity != uidvalidity {
        // New UIDs: read the folder again; what was kept before is recognised by hash.
        folder = FolderState {
            uidvalidity,
            last_uid: 0,
        };
    }
    let mut known: Option<HashSet<String>> = None;
    let mut pulled = Pulled::default();
    let found = session
        .uid_search(format!("UID {}:*", folder.last_uid.saturating_add(1)))
        .map_err(|err| FetchError::Imap("searching new messages", Box::new(err)))?;
    let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > folder.last_uid).collect();
    uids.sort_unstable();
    for group in groups(session, &uids, opts)? {
        let set = uid_set(&group.uids);
        let mut bodies: Vec<(u32, Vec<u8>)> = Vec::new();
        if !group.uids.is_empty() {
            let fetches = session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .map_err(|err| FetchError::Imap("fetching messages", Box::new(err)))?;
            bodies = fetches
                .iter()
                .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
                .collect();
            bodies.sort_by_key(|(uid, _)| *uid);
        }
        let known = known.get_or_insert_with(|| {
            if folder.last_uid == 0 {
                kept_hashes(maildir)
            } else {
                HashSet::new()
            }
        });
        for (_, bytes) in bodies {
            let id = crate::hash::sha256_hex(&bytes);
            if known.contains(&id) || keeper.knows(&id) {
                pulled.known += 1;
                continue;
            }
            let path = maildir
                .deliver(&bytes)
                .map_err(|err| FetchError::Keep(maildir.root().to_path_buf(), err))?;
            if let Err(err) = keeper.keep(&path, bytes, now) {
                eprintln!(
                    "blowback fetch: {}: kept, but not stored: {err}",
                    path.display()
                );
            }
            known.insert(id);
            pulled.kept += 1;
        }
        pulled.too_big += group.too_big;
        folder.last_uid = group.last;
        state.folders.insert(key.clone(), folder);
        state.save(&opts.state_path)?;
        if !group.uids.is_empty() {
            after(session, &set, &opts.after)?;
        }
    }
    state.folders.insert(key, folder);
    state.save(&opts.state_path)?;
    Ok(pulled)
}

/// UIDs fetched together: at most `batch` messages and about `BATCH_BYTES`.
struct Group {
    uids: Vec<u32>,
    /// The highest UID the group covers (including messages left on the server).
    last: u32,
    too_big: usize,
}

fn groups(
    session: &mut Session,
    uids: &[u32],
    opts: &FetchOptions,
) -> Result<Vec<Group>, FetchError> {
    let mut out = Vec::new();
    for chunk in uids.chunks(opts.batch.max(1)) {
        let sizes = session
            .uid_fetch(uid_set(chunk), "(UID RFC822.SIZE)")
            .map_err(|err| FetchError::Imap("asking message sizes", Box::new(err)))?;
        let size_of: BTreeMap<u32, u64> = sizes
            .iter()
            .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
            .collect();
        let mut group = Group {
            uids: Vec::new(),
            last: 0,
            too_big: 0,
        };
        let mut bytes = 0u64;
        for &uid in chunk {
            let size = size_of.get(&uid).copied().unwrap_or(0);
            if size > opts.max_message_bytes {
                eprintln!(
                    "blowback fetch: UID {uid} ({size} bytes) is over limits.max_message_bytes: left on the server"
                );
                group.too_big += 1;
                group.last = uid;
                continue;
            }
            if !group.uids.is_empty() && bytes + size > BATCH_BYTES {
                let next = Group {
                    uids: Vec::new(),
                    last: group.last,
                    too_big: 0,
                };
                out.push(std::mem::replace(&mut group, next));
                bytes = 0;
            }
            group.uids.push(uid);
            group.last = uid;
            bytes += size;
        }
        out.push(group);
    }
    Ok(out)
}

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn after(session: &mut Session, set: &str, after: &After) -> Result<(), FetchError> {
    match after {
        After::Nothing => Ok(()),
        After::Seen => session
            .uid_store(set, "+FLAGS.SILENT (\\Seen)")
            .map(|_| ())
            .map_err(|err| FetchError::Imap("marking messages seen", Box::new(err))),
        After::Move(folder) => session
            .uid_mv(set, folder)
            .map_err(|err| FetchError::Imap("moving messages", Box::new(err))),
    }
}

/// Connects and pulls; with `idle`, stays connected and pulls whenever the folder
/// changes, reconnecting after a pause when the connection is lost. Each pull is told
/// to `report`.
pub fn run(
    opts: &FetchOptions,
    maildir: &Maildir,
    keeper: &Keeper,
    idle: bool,
    mut report: impl FnMut(&Pulled),
) -> Result<(), FetchError> {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    let mut session = connect(opts)?;
    report(&pull(&mut session, opts, maildir, keeper, now())?);
    if !idle {
        let _ = session.logout();
        return Ok(());
    }
    loop {
        let result = wait_for_mail(&mut session)
            .and_then(|()| pull(&mut session, opts, maildir, keeper, now()));
        match result {
            Ok(pulled) => report(&pulled),
            Err(err @ (FetchError::Keep(..) | FetchError::State(..))) => return Err(err),
            Err(err) => {
                eprintln!("blowback fetch: {err}; connecting again in {RECONNECT_PAUSE:?}");
                loop {
                    std::thread::sleep(RECONNECT_PAUSE);
                    match connect(opts).and_then(|mut s| {
                        pull(&mut s, opts, maildir, keeper, now()).map(|p| (s, p))
                    }) {
                        Ok((s, pulled)) => {
                            session = s;
                            report(&pulled);
                            break;
                        }
                        Err(err) => eprintln!("blowback fetch: {err}"),
                    }
                }
            }
        }
    }
}

/// Pause before connecting again in `--idle` mode.
const RECONNECT_PAUSE: Duration = Duration::from_secs(10);

/// Waits in IDLE until the folder changes (or the IDLE is due for renewal).
pub fn wait_for_mail(session: &mut Session) -> Result<(), FetchError> {
    let mut idle = session.idle();
    idle.timeout(IDLE_RENEW).keepalive(false);
    idle.wait_while(imap::extensions::idle::stop_on_any)
        .map(|_| ())
        .map_err(|err| FetchError::Imap("waiting in IDLE", Box::new(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t =
            Target::parse("imaps://bounces%40victim.example@imap.example.com/Junk%20Mail").unwrap();
        assert_eq!(
            t,
            Target {
                implicit_tls: true,
                user: "bounces@victim.example".into(),
                host: "imap.example.com".into(),
                port: 993,
                folder: "Junk Mail".into(),
            }
        );
        let t = Target::parse("imap://u@127.0.0.1:1143").unwrap();
        assert_eq!(
            (t.implicit_tls, t.port, t.folder.as_str()),
            (false, 1143, "INBOX")
        );
        assert!(Target::parse("http://u@h/x").is_err());
        assert!(Target::parse("imaps://host/x").is_err());
    }

    #[test]
    fn after_values() {
        assert_eq!(After::parse("seen"), Ok(After::Seen));
        assert_eq!(After::parse("move:Done"), Ok(After::Move("Done".into())));
        assert_eq!(After::parse("none"), Ok(After::Nothing));
        assert!(After::parse("move:").is_err());
        assert!(After::parse("delete").is_err());
    }
}
