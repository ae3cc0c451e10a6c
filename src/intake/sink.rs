//! `blowback sink`: the listener. Accepts connections up to `[sink] max_connections`
//! (one thread each; more are told 421 and closed), serves each with [`super::smtp`],
//! and on SIGTERM or SIGINT stops accepting, lets idle sessions go with a 421 and waits
//! for transfers under way to end.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::smtp::{self, Context, POLL};

/// Pause between two looks at the listener and the shutdown flag when nothing arrives.
const ACCEPT_POLL: Duration = Duration::from_millis(50);

/// Counts a live session; the count drops when the session's thread ends.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves on `listener` until `ctx.shutdown` is set, then waits for the sessions.
pub fn run(listener: TcpListener, ctx: Context) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let ctx = Arc::new(ctx);
    let live = Arc::new(AtomicUsize::new(0));
    while !ctx.shutdown.load(Ordering::Relaxed) {
        let (mut tcp, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(ACCEPT_POLL);
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                // Out of descriptors and the like: wait and go on rather than stop.
                eprintln!("blowback sink: accept: {err}");
                std::thread::sleep(POLL);
                continue;
            }
        };
        tcp.set_nonblocking(false)?;
        if live.load(Ordering::SeqCst) >= ctx.settings.max_connections {
            let _ = tcp.set_write_timeout(Some(POLL));
            let _ = tcp.write_all(b"421 4.3.2 Too many connections, try again later\r\n");
            continue;
        }
        live.fetch_add(1, Ordering::SeqCst);
        let guard = Live(Arc::clone(&live));
        let ctx = Arc::clone(&ctx);
        let spawned = std::thread::Builder::new()
            .name(format!("smtp {peer}"))
            .spawn(move || {
                let _guard = guard;
                session(tcp, peer, &ctx);
            });
        if let Err(err) = spawned {
            eprintln!("blowback sink: cannot start a session thread: {err}");
        }
    }
    // Idle sessions notice the flag within POLL; a transfer gets its DATA time.
    let grace = Duration::from_secs(ctx.settings.data_timeout_secs) + POLL * 2;
    let until = Instant::now() + grace;
    while live.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(ACCEPT_POLL);
    }
    Ok(())
}

fn session(tcp: std::net::TcpStream, peer: SocketAddr, ctx: &Context) {
    match smtp::serve(tcp, peer, ctx) {
        Ok(_) => {}
        Err(err) => {
            let quiet = matches!(
                err.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            );
            if !quiet {
                eprintln!("blowback sink: {}: {err}", peer.ip());
            }
        }
    }
}

/// The TLS settings from a PEM certificate chain and key.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|iter| iter.collect())
        .map_err(|err| format!("[sink] tls_cert {}: {err}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "[sink] tls_cert {}: no certificate",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|err| format!("[sink] tls_key {}: {err}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS: {err}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| format!("[sink] tls_cert/tls_key: {err}"))?;
    Ok(Arc::new(config))
}

/// The name the sink gives itself: `[sink] hostname`, else the first own MX, else the
/// machine's name.
pub fn hostname(settings: &super::SinkSettings, own_mx: &[String]) -> String {
    let name = settings
        .hostname
        .clone()
        .or_else(|| own_mx.first().cloned())
        .unwrap_or_else(super::maildir_write::local_host_name);
    super::printable_ascii(&name, 255).replace(' ', "_")
}
