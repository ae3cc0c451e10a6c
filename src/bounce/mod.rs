//! Bounce stage (pure): classifies a message (bounce, delay, auto-reply, challenge,
//! ARF report, not a bounce), reads what the report states (RFC 3464 fields or the
//! MTA's own wording) and carves the returned original M out of it.
//!
//! `mail_parser::Message` borrows the input bytes, so it never leaves this module:
//! everything returned is plain owned data.
//!
//! Files by verb: `mime` splits the structure with byte offsets, `headers` reads header
//! blocks, `dsn` reads RFC 3464 fields, `mta` names the bounce format and reads prose
//! bounces, `classify` decides the kind, `carve` and `inline` find M.

use serde::Serialize;

mod carve;
mod classify;
pub use classify::opens_as_auto_reply;
mod dsn;
pub mod headers;
mod inline;
pub mod mime;
mod mta;
mod normalise;
mod notification;

pub use mime::MAX_DEPTH as MAX_MIME_DEPTH;
pub use normalise::StatusSource;

/// What kind of message this is, as in the `analyze` output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A failure DSN or non-delivery report.
    Bounce,
    /// A delay warning (delivery still being tried).
    Delay,
    Autoreply,
    /// A challenge-response request ("confirm you are human to have your message
    /// delivered").
    Challenge,
    /// An abuse feedback report (RFC 5965 ARF).
    FeedbackReport,
    /// Anything else, e.g. spam received directly.
    NotABounce,
    /// A message disposition notification (RFC 8098 MDN): a read receipt, or a Sieve
    /// reject ("deleted"), which is a failure for the recipient it names.
    Mdn,
}

/// How much of the original the bounce returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completeness {
    /// Headers and body.
    Full,
    /// Headers only (no body after the header block).
    HeadersOnly,
    /// Body cut short: a multipart without its closing delimiter, or the report says so.
    Partial,
    /// Rebuilt from pieces. Not produced by this stage yet.
    Reconstructed,
}

/// The message under analysis M, carved out of a bounce.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Original {
    /// M's bytes as carved (decoded from the carrier's transfer encoding if it had one).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Byte range of M inside the bounce's raw bytes, when M was copied verbatim
    /// (no transfer decoding needed); `None` when it had to be decoded.
    pub range: Option<(usize, usize)>,
    pub completeness: Completeness,
    /// SHA-256 (hex) of `bytes`.
    pub sha256: String,
    /// As written, angle brackets kept.
    pub message_id: Option<String>,
    /// M's `From` address (addr-spec; the raw value when it does not parse).
    pub from: Option<String>,
    /// M's `Subject`, RFC 2047 decoded.
    pub subject: Option<String>,
    /// M's `Date`, as written.
    pub date: Option<String>,
    /// How M was carried: `message/rfc822`, `message/global`, `attachment` (a `.eml` file
    /// attached under another type), `text/rfc822-headers`, `message/global-headers`,
    /// `inline` (copied into report text) or `inline-quoted` (copied with a `> ` or
    /// indent prefix, which is removed: then `range` is `None`).
    pub carrier: String,
    /// How many reports deep M was found (1 = directly inside this bounce).
    pub depth: u32,
    /// M's header block (offsets into `bytes`), read once for every later stage.
    #[serde(skip)]
    pub header: headers::Block,
    /// M's MIME structure when the descent read it (the contact stage reuses it).
    #[serde(skip)]
    pub structure: Option<mime::Part>,
}

/// One recipient block of a DSN, or what a non-standard bounce says about a recipient.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecipientStatus {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    /// `X.Y.Z`: the `Status` field normalised, else the code in the diagnostic.
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    /// Where `status` came from (`dsn`, `enhanced_code`, `reply_code`).
    pub status_source: Option<StatusSource>,
}

/// Everything the bounce stage learns from one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BounceReport {
    pub kind: Kind,
    /// Bounce format / MTA family (`postfix`, `exim`, `exchange`, ...).
    pub mta: Option<String>,
    pub reporting_mta: Option<String>,
    pub arrival_date: Option<String>,
    pub recipients: Vec<RecipientStatus>,
    /// The bounce's own sender address (often `MAILER-DAEMON@host`).
    pub bounce_from: Option<String>,
    pub original: Option<Original>,
    /// The bounce's own subject, decoded.
    pub subject: Option<String>,
    /// The first recipient's status code (`5.1.1`, bare), if stated.
    pub status: Option<String>,
    /// Where `status` came from.
    pub status_source: Option<StatusSource>,
    /// The first diagnostic the report states (DSN `Diagnostic-Code` or the MTA's prose).
    pub diagnostic: Option<String>,
    /// `In-Reply-To` of the report (for an auto-reply: the message it answers), as written.
    pub in_reply_to: Option<String>,
    /// The header block of the message this report was decoded from (offsets into its
    /// bytes), read once for every later stage.
    #[serde(skip)]
    pub header: headers::Block,
    /// The MIME structure of that message (the contact stage reuses it when the message
    /// is M itself).
    #[serde(skip)]
    pub structure: Option<mime::Part>,
}

/// How many reports deep carving descends (bounce of a bounce of ...).
pub const MAX_REPORT_DEPTH: u32 = 8;
/// Report text examined for classification, in bytes. A report's own wording comes
/// first and is short; the rest is spam text, costly to decode and never decisive.
const TEXT_LIMIT: usize = 16 * 1024;
/// Header fields looked at for classification (real reports have far fewer).
const FIELD_LIMIT: usize = 512;
/// Bytes of one header value looked at for classification.
const VALUE_LIMIT: usize = 4 * 1024;
/// Header bytes handed to `mail-parser` for decoded values.
const HEADER_LIMIT: usize = 256 * 1024;

/// Bounds on the work of decoding one message (config `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Deepest multipart nesting split. The default is 24.
    pub mime_depth: usize,
    /// Most MIME parts split. The default is 1024.
    pub mime_parts: usize,
    /// Most reports descended into (bounce of a bounce of ...). The default is 8.
    pub report_depth: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            mime_depth: MAX_MIME_DEPTH,
            mime_parts: mime::MAX_PARTS,
            report_depth: MAX_REPORT_DEPTH,
        }
    }
}

/// Decodes one message. Total: any bytes give a report, never a panic.
pub fn decode(bytes: &[u8]) -> BounceReport {
    decode_with(bytes, &DecodeLimits::default())
}

/// [`decode`] within the given bounds.
pub fn decode_with(bytes: &[u8], limits: &DecodeLimits) -> BounceReport {
    let tree = mime::parse_limited(bytes, limits.mime_depth, limits.mime_parts);
    let descend = |carved| descend(carved, limits);
    let view = View::read(bytes, &tree);
    let dsn = read_dsn(bytes, &tree, &view.raw_text);
    let found = carve::carve(bytes, &tree, true);
    let note = dsn
        .recipients
        .is_empty()
        .then(|| notification::read(&view.raw_text))
        .flatten();
    let kind = match &note {
        Some(n) => n.kind,
        None => classify::kind(&view.evidence_for(&tree, &dsn, found.as_ref())),
    };
    let original = match kind {
        Kind::Bounce | Kind::Delay | Kind::FeedbackReport => found.map(descend),
        Kind::Autoreply | Kind::Challenge | Kind::Mdn => {
            carve::carve(bytes, &tree, false).map(descend)
        }
        Kind::NotABounce if view.filter_wrapper(&tree) => {
            carve::carve(bytes, &tree, false).map(|c| finish(c, 1, None))
        }
        Kind::NotABounce => None,
    };
    let mut recipients = match note {
        Some(n) => n.recipients,
        None => dsn.recipients,
    };
    if matches!(kind, Kind::Bounce | Kind::Delay) {
        complete_recipients(&mut recipients, || {
            prose_recipients(&view, bytes, &tree, original.as_ref())
        });
        if !recipients.iter().any(|r| r.final_recipient.is_some()) {
            recipients.extend(forwarded_report_recipients(original.as_ref(), limits));
        }
        if !recipients.iter().any(|r| r.final_recipient.is_some()) {
            recipients.extend(sole_addressee(original.as_ref()));
        }
    }
    if kind == Kind::Mdn && recipients.is_empty() {
        recipients = mdn_failures(bytes, &tree);
    }
    if kind == Kind::FeedbackReport && recipients.is_empty() {
        recipients = feedback_recipients(bytes, &tree, &view.raw_text);
        if recipients.is_empty() {
            recipients.extend(sole_addressee(original.as_ref()));
        }
    }
    for r in &mut recipients {
        normalise::fill_status(r);
    }
    let (status, status_source) = recipients
        .iter()
        .find_map(|r| r.status.clone().map(|s| (Some(s), r.status_source)))
        .unwrap_or_default();
    let diagnostic = recipients
        .iter()
        .find_map(|r| r.diagnostic.clone())
        .or_else(|| {
            matches!(kind, Kind::Bounce | Kind::Delay)
                .then(|| mta::diagnostic(&view.report_text(original.as_ref())))
                .flatten()
        });
    let mta = match kind {
        Kind::Bounce | Kind::Delay | Kind::FeedbackReport => {
            let text = view.lower_text_before(inline_copy(original.as_ref()));
            mta::family(
                view.from_address.as_deref().unwrap_or(""),
                &view.header_text(bytes, &tree.header),
                &text,
            )
        }
        _ => None,
    };
    BounceReport {
        kind,
        mta,
        reporting_mta: dsn.reporting_mta,
        arrival_date: dsn.arrival_date,
        recipients,
        bounce_from: view.from_address.clone(),
        original,
        subject: view.subject.clone(),
        status,
        status_source,
        diagnostic,
        in_reply_to: view.in_reply_to.clone(),
        header: tree.header.clone(),
        structure: Some(tree),
    }
}

/// Follows bounces of bounces: while M is itself a delivery report carrying a copy,
/// carve again inside it (at most `MAX_REPORT_DEPTH` levels).
fn descend(first: carve::Carved, limits: &DecodeLimits) -> Original {
    let mut cur = first;
    let mut depth = 1;
    let mut structure = None;
    while depth < limits.report_depth {
        // The copy's header block was read while carving it.
        let header = std::mem::take(&mut cur.header);
        let tree =
            mime::parse_limited_with(&cur.bytes, header, limits.mime_depth, limits.mime_parts);
        let Some(mut inner) = inner_copy(&cur.bytes, &tree) else {
            cur.header = tree.header.clone();
            structure = Some(tree);
            break;
        };
        inner.range = match (cur.range, inner.range) {
            (Some((base, _)), Some((s, e))) => Some((base + s, base + e)),
            _ => None,
        };
        cur = inner;
        depth += 1;
    }
    finish(cur, depth, structure)
}

/// The copy inside `bytes` (whose structure is `tree`) when `bytes` is itself a report.
fn inner_copy(bytes: &[u8], tree: &Part) -> Option<carve::Carved> {
    // Most copies are the spam itself: its header and structure say so before its
    // text (often large HTML) is decoded.
    let headers_only = View::read_headers(bytes, tree);
    let no_dsn = dsn::Dsn::default();
    if !classify::may_be_report(&headers_only.evidence(tree, &no_dsn, false, String::new())) {
        return None;
    }
    let view = headers_only.with_text(bytes, tree);
    let dsn = read_dsn(bytes, tree, &view.raw_text);
    let inner = carve::carve(bytes, tree, true);
    let report = classify::is_report(&view.evidence_for(tree, &dsn, inner.as_ref()));
    inner.filter(|_| report)
}

/// Turns a carved copy into `Original` with its identifying fields.
fn finish(c: carve::Carved, depth: u32, structure: Option<mime::Part>) -> Original {
    let block = c.header;
    let from = first_mailbox(&block, &c.bytes).and_then(|a| a.address);
    Original {
        sha256: crate::hash::sha256_hex(&c.bytes),
        message_id: block.text(&c.bytes, "message-id"),
        from: from.or_else(|| block.text(&c.bytes, "from")),
        subject: decoded_subject(&block, &c.bytes),
        date: block.text(&c.bytes, "date"),
        range: c.range,
        completeness: c.completeness,
        carrier: c.carrier,
        depth,
        bytes: c.bytes,
        header: block,
        structure,
    }
}

/// The first address of the block's `From` (the last `From` field when there are several,
/// as mail-parser reads them), within the header bytes looked at.
fn first_mailbox(block: &headers::Block, bytes: &[u8]) -> Option<crate::mailparse::Mailbox> {
    let raw = block.last(bytes, "from")?;
    crate::mailparse::mailboxes(&raw[..raw.len().min(HEADER_LIMIT)])
        .into_iter()
        .next()
}

/// The block's `Subject`, RFC 2047 decoded (the last one, as mail-parser reads them).
fn decoded_subject(block: &headers::Block, bytes: &[u8]) -> Option<String> {
    let raw = block.last(bytes, "subject")?;
    crate::mailparse::unstructured(&raw[..raw.len().min(HEADER_LIMIT)])
}

/// The bytes of a returned original that was copied into the report text.
fn inline_copy(original: Option<&Original>) -> Option<&[u8]> {
    original
        .filter(|o| o.carrier == "inline")
        .map(|o| &o.bytes[..])
}

/// The report's own header values and text, read once.
struct View {
    headers: Vec<(String, String)>,
    subject: Option<String>,
    from_address: Option<String>,
    from_text: String,
    in_reply_to: Option<String>,
    /// Decoded text of the report's text parts, original case, bounded.
    raw_text: String,
    /// `raw_text` in lower case.
    text: String,
}

impl View {
    fn read(bytes: &[u8], tree: &Part) -> View {
        Self::read_headers(bytes, tree).with_text(bytes, tree)
    }

    /// Adds the report text to a view read by [`View::read_headers`].
    fn with_text(mut self, bytes: &[u8], tree: &Part) -> View {
        self.raw_text = report_text(bytes, tree);
        self.text = crate::utf8::to_lowercase(&self.raw_text);
        self
    }

    /// The header values only; the text stays empty.
    fn read_headers(bytes: &[u8], tree: &Part) -> View {
        let block = &tree.header;
        let headers: Vec<(String, String)> = block
            .fields
            .iter()
            .take(FIELD_LIMIT)
            .map(|f| {
                let name = crate::utf8::lossy(&bytes[f.name.clone()]).to_ascii_lowercase();
                // Trace and signature fields are most of a header's bytes and no
                // classification rule reads their values: kept by name only.
                let value = if is_trace_field(&name) {
                    String::new()
                } else {
                    field_value(bytes, f)
                };
                (name, value)
            })
            .collect();
        let from = first_mailbox(block, bytes);
        let from_address = from.as_ref().and_then(|a| a.address.clone());
        let from_text = match &from {
            Some(a) => format!(
                "{} <{}>",
                a.name.as_deref().unwrap_or(""),
                a.address.as_deref().unwrap_or("")
            )
            .to_lowercase(),
            None => block.text(bytes, "from").unwrap_or_default().to_lowercase(),
        };
        View {
            headers,
            subject: decoded_subject(block, bytes).or_else(|| block.text(bytes, "subject")),
            from_address,
            from_text,
            in_reply_to: block.text(bytes, "in-reply-to").map(|v| first_id(&v)),
            raw_text: String::new(),
            text: String::new(),
        }
    }

    fn evidence<'a>(
        &'a self,
        tree: &'a Part,
        dsn: &'a dsn::Dsn,
        carved: bool,
        text: String,
    ) -> classify::Evidence<'a> {
        classify::Evidence {
            report_type: tree
                .param("report-type")
                .map(|v| v.trim().to_ascii_lowercase()),
            part_types: tree
                .flatten()
                .into_iter()
                .map(|p| p.ctype.as_str())
                .collect(),
            headers: &self.headers,
            subject: self.subject.clone().unwrap_or_default().to_lowercase(),
            from: self.from_text.clone(),
            text,
            dsn,
            carved,
        }
    }

    /// A content filter's wrapper around the spam (SpamAssassin `report_safe`).
    fn filter_wrapper(&self, tree: &Part) -> bool {
        let flagged = self
            .headers
            .iter()
            .any(|(n, v)| (n == "x-spam-flag" || n == "x-spam-status") && v.starts_with("yes"));
        let wording = self.text.contains("spam detection software")
            || self
                .text
                .contains("identified this incoming email as possible spam");
        let typed = tree.flatten().iter().any(|p| {
            p.param("x-spam-type")
                .is_some_and(|v| v.eq_ignore_ascii_case("original"))
        });
        typed || (flagged || wording) && tree.flatten().iter().any(|p| p.ctype == "message/rfc822")
    }

    /// The report text before an inline copy whose bytes are `copy` (all of it without).
    fn text_before(&self, copy: Option<&[u8]>) -> String {
        let cut = copy
            .and_then(|c| c.get(..c.len().min(64)))
            .and_then(|start| {
                self.raw_text
                    .find(normalise_eol(&String::from_utf8_lossy(start)).as_str())
            });
        self.raw_text[..cut.unwrap_or(self.raw_text.len())].to_string()
    }

    /// [`View::text_before`] in lower case; with no copy to cut at, the lower-case text
    /// already at hand.
    fn lower_text_before(&self, copy: Option<&[u8]>) -> String {
        match copy {
            None => self.text.clone(),
            Some(_) => crate::utf8::to_lowercase(&self.text_before(copy)),
        }
    }

    /// All header fields of `block` (the block this view was read from) as `name: value`
    /// lines (lower case, unfolded), trace fields included: which mail system wrote a
    /// report shows in its Received lines. Values already read are reused.
    fn header_text(&self, bytes: &[u8], block: &headers::Block) -> String {
        let mut text = String::new();
        for (f, (name, value)) in block.fields.iter().zip(&self.headers) {
            let value = if is_trace_field(name) {
                field_value(bytes, f)
            } else {
                value.clone()
            };
            text.extend([name.as_str(), ": ", &value, "\n"]);
        }
        text
    }

    /// The report text before the returned original, when that was copied inline.
    fn report_text(&self, original: Option<&Original>) -> String {
        self.text_before(inline_copy(original))
    }

    /// Classification evidence, with the report text cut before an inline copy so that
    /// the returned message's own words do not count.
    fn evidence_for<'a>(
        &'a self,
        tree: &'a Part,
        dsn: &'a dsn::Dsn,
        found: Option<&carve::Carved>,
    ) -> classify::Evidence<'a> {
        let copy = found
            .filter(|c| c.carrier == "inline")
            .map(|c| &c.bytes[..]);
        let text = self.lower_text_before(copy);
        self.evidence(tree, dsn, found.is_some(), text)
    }
}

/// Decoded text of the report's leaf text parts (not inside embedded messages), bounded.
fn report_text(bytes: &[u8], tree: &Part) -> String {
    let mut out = String::new();
    let mut parts = Vec::new();
    readable_parts(tree, &mut parts);
    for p in parts {
        if out.len() >= TEXT_LIMIT {
            break;
        }
        let texty = (p.ctype.starts_with("text/") && !p.ctype.contains("rfc822"))
            || p.ctype.starts_with("multipart/");
        if !p.children.is_empty() || !texty {
            continue;
        }
        let body = &bytes[p.body.start..p.body.end.min(p.body.start + TEXT_LIMIT * 2)];
        let text = crate::mailparse::body_text(mime::decode(body, p.cte), p.param("charset"));
        let text = if p.ctype == "text/html" {
            crate::html_text::html_to_text(&text)
        } else {
            text
        };
        let text = normalise_eol(&text);
        // At most `room` characters; a text of no more bytes than that has no more
        // characters either, and is taken whole without counting.
        let room = TEXT_LIMIT.saturating_sub(out.len());
        let cut = if text.len() <= room {
            text.len()
        } else {
            text.char_indices().nth(room).map_or(text.len(), |(i, _)| i)
        };
        out.push_str(&text[..cut]);
        out.push('\n');
    }
    out
}

/// The parts whose text is read, in document order: of a `multipart/alternative` with a
/// plain-text version, only that version (the HTML one says the same, and turning HTML
/// into text is the costly part).
fn readable_parts<'a>(part: &'a Part, out: &mut Vec<&'a Part>) {
    out.push(part);
    let plain = part.ctype == "multipart/alternative"
        && part.children.iter().any(|c| c.ctype == "text/plain");
    for child in &part.children {
        if !(plain && child.ctype == "text/html") {
            readable_parts(child, out);
        }
    }
}

/// Delivery-status fields: from a delivery-status part, else written inline in the text.
fn read_dsn(bytes: &[u8], tree: &Part, text: &str) -> dsn::Dsn {
    let part = tree.flatten().into_iter().find(|p| {
        p.ctype == "message/delivery-status" || p.ctype == "message/global-delivery-status"
    });
    match part {
        Some(p) => dsn::parse(&mime::decode(&bytes[p.body.clone()], p.cte)),
        None => {
            let inline = dsn::parse(text.as_bytes());
            if inline.recipients.is_empty() {
                forwarded_dsn(bytes, tree).unwrap_or(inline)
            } else {
                inline
            }
        }
    }
}

/// Parts split when looking inside an attached message for a forwarded report.
const FORWARD_PARTS: usize = 64;

/// The delivery-status fields of a report that was forwarded as an attached message (a
/// gateway or a person passing a bounce on), one level down.
fn forwarded_dsn(bytes: &[u8], tree: &Part) -> Option<dsn::Dsn> {
    tree.flatten()
        .into_iter()
        .filter(|p| p.ctype == "message/rfc822" || p.ctype == "message/global")
        .find_map(|p| {
            let inner = mime::decode(&bytes[p.body.clone()], p.cte);
            let inner_tree = mime::parse_limited(&inner, 4, FORWARD_PARTS);
            let status = inner_tree.flatten().into_iter().find(|q| {
                q.ctype == "message/delivery-status" || q.ctype == "message/global-delivery-status"
            })?;
            let found = dsn::parse(&mime::decode(&inner[status.body.clone()], status.cte));
            (!found.recipients.is_empty()).then_some(found)
        })
}

/// Failed recipients of a bounce that states them in prose.
fn prose_recipients(
    view: &View,
    bytes: &[u8],
    tree: &Part,
    original: Option<&Original>,
) -> Vec<RecipientStatus> {
    if let Some((_, v)) = view
        .headers
        .iter()
        .find(|(n, _)| n == "x-failed-recipients")
    {
        let mut r = mta::failed_recipients(v);
        let prose = mta::prose_recipients(&view.report_text(original), &[]);
        for rec in &mut r {
            rec.diagnostic = prose
                .iter()
                .find(|p| p.final_recipient == rec.final_recipient)
                .and_then(|p| p.diagnostic.clone());
        }
        return r;
    }
    let exclude: Vec<String> = ["to"]
        .iter()
        .filter_map(|h| tree.header.text(bytes, h))
        .flat_map(|v| {
            v.split([',', '<', '>', ' '])
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|a| a.contains('@'))
        .collect();
    let text = view.report_text(original);
    let lone = mta::prose_recipients(&text, &exclude);
    if !lone.is_empty() {
        return lone;
    }
    let mentioned = mta::mentioned_recipients(&text, &exclude);
    if !mentioned.is_empty() {
        return mentioned;
    }
    mta::transcript_recipients(&text)
}

/// Fills the DSN recipients that name no address (X.400, a source route, a bare domain)
/// from the report text, in order; with no DSN recipients at all, the report text's are
/// the recipients. `prose` is asked only when needed.
fn complete_recipients(
    recipients: &mut Vec<RecipientStatus>,
    prose: impl FnOnce() -> Vec<RecipientStatus>,
) {
    if recipients.is_empty() {
        *recipients = prose();
        return;
    }
    if recipients.iter().all(|r| r.final_recipient.is_some()) {
        return;
    }
    let named: Vec<String> = recipients
        .iter()
        .filter_map(|r| r.final_recipient.as_deref().map(str::to_ascii_lowercase))
        .collect();
    let mut spare = prose().into_iter().filter(|p| {
        p.final_recipient
            .as_deref()
            .is_some_and(|a| !named.contains(&a.to_ascii_lowercase()))
    });
    for r in recipients
        .iter_mut()
        .filter(|r| r.final_recipient.is_none())
    {
        match spare.next() {
            Some(p) => {
                r.final_recipient = p.final_recipient;
                if r.diagnostic.is_none() {
                    r.diagnostic = p.diagnostic;
                }
            }
            None => break,
        }
    }
}

/// Dispositions that mean the message was not delivered (RFC 8098 `deleted`, and the
/// `rejected`/`failed` that Sieve implementations and older agents write).
const MDN_FAILED: &[&str] = &["deleted", "rejected", "failed", "denied"];

/// The recipient an MDN reports as not delivered (a Sieve reject): its `Final-Recipient`
/// (else `Original-Recipient`) when the `Disposition` says the message was deleted or
/// refused. A read receipt names no failure.
fn mdn_failures(bytes: &[u8], tree: &Part) -> Vec<RecipientStatus> {
    let Some(part) = tree
        .flatten()
        .into_iter()
        .find(|p| p.ctype == "message/disposition-notification")
    else {
        return Vec::new();
    };
    let fields = mime::decode(&bytes[part.body.clone()], part.cte);
    let block = headers::parse_block(&fields, 0, fields.len());
    let disposition = block
        .text(&fields, "disposition")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let verb = disposition.rsplit(';').next().unwrap_or("");
    if !MDN_FAILED.iter().any(|w| verb.contains(w)) {
        return Vec::new();
    }
    let failed = block
        .text(&fields, "final-recipient")
        .and_then(|v| normalise::address(&v))
        .or_else(|| {
            block
                .text(&fields, "original-recipient")
                .and_then(|v| normalise::address(&v))
        });
    failed
        .map(|addr| RecipientStatus {
            final_recipient: Some(addr),
            action: Some("failed".into()),
            diagnostic: Some(disposition.clone()),
            ..Default::default()
        })
        .into_iter()
        .collect()
}

/// The recipients a feedback report is about (RFC 5965 `Original-Rcpt-To`, RFC 6650
/// `Removed-Recipient`), from its feedback-report part or, in older reports, its text.
fn feedback_recipients(bytes: &[u8], tree: &Part, text: &str) -> Vec<RecipientStatus> {
    let part = tree
        .flatten()
        .into_iter()
        .find(|p| p.ctype == "message/feedback-report");
    let fields = match part {
        Some(p) => crate::utf8::lossy(&mime::decode(&bytes[p.body.clone()], p.cte)).into_owned(),
        None => text.to_string(),
    };
    let mut out: Vec<RecipientStatus> = Vec::new();
    for line in fields.lines().take(400) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name != "original-rcpt-to" && name != "removed-recipient" {
            continue;
        }
        let Some(addr) = normalise::address(value) else {
            continue;
        };
        if !out
            .iter()
            .any(|r| r.final_recipient.as_deref() == Some(addr.as_str()))
        {
            out.push(RecipientStatus {
                final_recipient: Some(addr),
                ..Default::default()
            });
        }
    }
    out
}

/// The recipients of a returned copy that is itself a failure report (a bounce forwarded
/// or quoted by a person or a gateway, with the text around it naming none), decoded
/// one report level deeper.
fn forwarded_report_recipients(
    original: Option<&Original>,
    limits: &DecodeLimits,
) -> Vec<RecipientStatus> {
    let Some(o) = original else {
        return Vec::new();
    };
    if limits.report_depth <= 1 {
        return Vec::new();
    }
    let deeper = DecodeLimits {
        report_depth: limits.report_depth - 1,
        ..*limits
    };
    let inner = decode_with(&o.bytes, &deeper);
    if matches!(inner.kind, Kind::Bounce | Kind::Delay) {
        inner
            .recipients
            .into_iter()
            .filter(|r| r.final_recipient.is_some())
            .collect()
    } else {
        Vec::new()
    }
}

/// The last resort for a bounce that names no recipient at all: the returned copy's
/// only addressee (one `To` address and no `Cc`), which is where it was being delivered.
fn sole_addressee(original: Option<&Original>) -> Option<RecipientStatus> {
    let o = original?;
    if o.header.get(&o.bytes, "cc").is_some() || o.header.values(&o.bytes, "to").count() != 1 {
        return None;
    }
    let to = o.header.get(&o.bytes, "to")?;
    let boxes = crate::mailparse::mailboxes(&to[..to.len().min(HEADER_LIMIT)]);
    let [only] = boxes.as_slice() else {
        return None;
    };
    let addr = only
        .address
        .as_deref()
        .filter(|a| normalise::is_addr_spec(a))?;
    Some(RecipientStatus {
        final_recipient: Some(addr.to_string()),
        ..Default::default()
    })
}

/// Fields that record transport and signatures, by lower-case name.
fn is_trace_field(name: &str) -> bool {
    name == "received"
        || name == "authentication-results"
        || name == "received-spf"
        || name == "x-received"
        || [
            "dkim-",
            "arc-",
            "x-ms-",
            "x-microsoft-",
            "x-forefront-",
            "x-google-",
            "x-gm-",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// A field's value unfolded, in lower case, within the bytes looked at.
fn field_value(bytes: &[u8], f: &headers::Field) -> String {
    let value = &bytes[f.value.start..f.value.end.min(f.value.start + VALUE_LIMIT)];
    lower_case(headers::unfold(value))
}

/// `text` in lower case, in place when it is ASCII (most header values are).
fn lower_case(mut text: String) -> String {
    if text.is_ascii() {
        text.make_ascii_lowercase();
        text
    } else {
        crate::utf8::to_lowercase(&text)
    }
}

/// Report text with LF line ends (CRLF and CR-only input read alike).
fn normalise_eol(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// The first `<id>` in a header value, or the value itself.
fn first_id(value: &str) -> String {
    match (value.find('<'), value.find('>')) {
        (Some(s), Some(e)) if s < e => value[s..=e].to_string(),
        _ => value.trim().to_string(),
    }
}

use mime::Part;
