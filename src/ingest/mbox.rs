//! mbox files (mboxo and mboxrd), split by mail-parser's mbox iterator.
//!
//! mail-parser does not say where each message starts, drops bytes before the first
//! From_ line and has no size bound, so its reader is wrapped in [`TrackingReader`],
//! which records the byte offset of every From_ line (for `source = path#offset`),
//! counts leading bytes that belong to no message, and cuts a message that grows past
//! the size limit (the message is then reported as failed, the rest of the file is read).

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Format, IngestFailure, RawMessage, rfc3339};

type Item = Result<RawMessage, IngestFailure>;

/// What the tracking reader learned, shared with the iterator that owns it.
#[derive(Default)]
struct Tracking {
    /// Offsets of From_ lines not yet matched with a message.
    from_offsets: VecDeque<u64>,
    /// From_ line offsets of messages that were cut at the size limit.
    oversized: Vec<u64>,
    /// Bytes before the first From_ line.
    leading_bytes: u64,
}

/// A `BufRead` that watches the lines mail-parser's iterator reads.
struct TrackingReader<R> {
    inner: R,
    position: u64,
    current_from: Option<u64>,
    current_len: u64,
    max_bytes: u64,
    state: Arc<Mutex<Tracking>>,
}

/// The tracking state shared by the reader and the iterator (a reader that panicked
/// midway leaves counts that are still the best we have).
fn lock(state: &Mutex<Tracking>) -> MutexGuard<'_, Tracking> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: BufRead> Read for TrackingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for TrackingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.position += amount as u64;
    }

    fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        loop {
            let start = buf.len();
            let line_offset = self.position;
            let n = read_line_bounded(&mut self.inner, byte, buf, self.max_bytes)?;
            self.position += n as u64;
            if n == 0 {
                return Ok(0);
            }
            let mut state = lock(&self.state);
            if buf[start..].starts_with(b"From ") {
                state.from_offsets.push_back(line_offset);
                self.current_from = Some(line_offset);
                self.current_len = 0;
                return Ok(n);
            }
            let Some(from) = self.current_from else {
                state.leading_bytes += n as u64;
                return Ok(n);
            };
            self.current_len += n as u64;
            if self.current_len <= self.max_bytes {
                return Ok(n);
            }
            // Over the limit: drop this line and the rest of the message.
            if state.oversized.last() != Some(&from) {
                state.oversized.push(from);
            }
            buf.truncate(start);
        }
    }
}

/// `read_until` that stops after `max` bytes, so one endless line cannot exhaust memory.
fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    byte: u8,
    buf: &mut Vec<u8>,
    max: u64,
) -> io::Result<usize> {
    let mut taken = 0usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(taken);
        }
        let room = (max as usize)
            .saturating_add(1)
            .saturating_sub(taken)
            .max(1);
        let window = &available[..available.len().min(room)];
        let (used, done) = match memchr::memchr(byte, window) {
            Some(i) => (i + 1, true),
            None => (window.len(), window.len() == room),
        };
        buf.extend_from_slice(&window[..used]);
        reader.consume(used);
        taken += used;
        if done {
            return Ok(taken);
        }
    }
}

/// Iterates over the messages of one mbox stream.
pub struct MboxMessages<R: BufRead> {
    name: String,
    messages: mail_parser::mailbox::mbox::MessageIterator<TrackingReader<R>>,
    state: Arc<Mutex<Tracking>>,
    pending: VecDeque<Item>,
    reported_leading: bool,
}

impl<R: BufRead> MboxMessages<R> {
    pub fn new(name: String, reader: R, max_bytes: u64) -> Self {
        let state = Arc::new(Mutex::new(Tracking::default()));
        let tracking = TrackingReader {
            inner: reader,
            position: 0,
            current_from: None,
            current_len: 0,
            max_bytes,
            state: Arc::clone(&state),
        };
        MboxMessages {
            name,
            messages: mail_parser::mailbox::mbox::MessageIterator::new(tracking),
            state,
            pending: VecDeque::new(),
            reported_leading: false,
        }
    }

    /// Bytes before the first From_ line are reported once, as a failure at offset 0.
    fn leading_garbage(&mut self) -> Option<Item> {
        let leading = lock(&self.state).leading_bytes;
        if self.reported_leading || leading == 0 {
            return None;
        }
        self.reported_leading = true;
        Some(Err(IngestFailure::new(
            format!("{}#0", self.name),
            format!(
                "{leading} bytes before the first From_ line belong to no message (not an mbox, or a damaged one: try --format eml)"
            ),
        )))
    }

    fn next_item(&mut self, read: io::Result<mail_parser::mailbox::mbox::Message>) -> Item {
        let offset = lock(&self.state).from_offsets.pop_front().unwrap_or(0);
        let source = format!("{}#{offset}", self.name);
        let message = read.map_err(|err| {
            IngestFailure::new(source.clone(), format!("read error in mbox: {err}"))
        })?;
        if lock(&self.state).oversized.contains(&offset) {
            return Err(IngestFailure::new(
                source,
                "message larger than limits.max_message_bytes; skipped to the next From_ line"
                    .into(),
            ));
        }
        let date = match message.internal_date() {
            0 => None,
            seconds => Some(rfc3339(seconds as i64)),
        };
        Ok(RawMessage::new(
            source,
            strip_separator(message.unwrap_contents()),
            Format::Mbox,
            date,
        ))
    }
}

impl<R: BufRead> Iterator for MboxMessages<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(item) = self.pending.pop_front() {
            return Some(item);
        }
        let next = self.messages.next().map(|read| self.next_item(read));
        // Leading garbage is only known once the first message has been read.
        if let Some(failure) = self.leading_garbage() {
            self.pending.extend(next);
            return Some(failure);
        }
        next
    }
}

/// Removes the blank line that separates a message from the next From_ line.
fn strip_separator(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.ends_with(b"\r\n\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n\n") {
        bytes.truncate(bytes.len() - 1);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], max: u64) -> Vec<Item> {
        MboxMessages::new("box".into(), input, max).collect()
    }

    #[test]
    fn splits_with_offsets_dates_and_unquoting() {
        let mbox = b"From a@b Fri Jul  5 10:00:00 2019\nSubject: one\n\n>From here\n\nFrom c@d Sat Jul  6 11:00:00 2019\nSubject: two\n\nbody\n";
        let items = split(mbox, 1 << 20);
        assert_eq!(items.len(), 2);
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.source, "box#0");
        assert_eq!(first.bytes, b"Subject: one\n\nFrom here\n");
        assert_eq!(first.envelope_date.as_deref(), Some("2019-07-05T10:00:00Z"));
        let second = items[1].as_ref().unwrap();
        let offset = mbox.windows(6).rposition(|w| w == b"From c").unwrap();
        assert_eq!(second.source, format!("box#{offset}"));
        assert_eq!(second.bytes, b"Subject: two\n\nbody\n");
    }

    #[test]
    fn leading_garbage_is_reported_not_lost() {
        let items = split(
            b"garbage\nFrom a@b Fri Jul  5 10:00:00 2019\nSubject: x\n\n",
            1 << 20,
        );
        assert_eq!(items.len(), 2);
        assert!(
            items[0]
                .as_ref()
                .unwrap_err()
                .error
                .contains("8 bytes before the first From_")
        );
        assert!(items[1].is_ok());
    }

    #[test]
    fn broken_from_line_keeps_the_message_without_date() {
        let items = split(b"From \nSubject: x\n\nbody\n", 1 << 20);
        assert_eq!(items.len(), 1);
        let message = items[0].as_ref().unwrap();
        assert_eq!(message.envelope_date, None);
        assert_eq!(message.bytes, b"Subject: x\n\nbody\n");
    }

    #[test]
    fn oversized_message_fails_and_the_next_one_is_read() {
        let mut mbox = b"From a@b Fri Jul  5 10:00:00 2019\n".to_vec();
        mbox.extend(std::iter::repeat_n(b'x', 5000));
        mbox.extend(b"\n\nFrom c@d Sat Jul  6 11:00:00 2019\nSubject: two\n\n");
        let items = split(&mbox, 1000);
        assert_eq!(items.len(), 2);
        assert!(
            items[0]
                .as_ref()
                .unwrap_err()
                .error
                .contains("max_message_bytes")
        );
        assert_eq!(items[1].as_ref().unwrap().bytes, b"Subject: two\n");
    }

    #[test]
    fn crlf_mbox_keeps_crlf() {
        let items = split(
            b"From a@b Fri Jul  5 10:00:00 2019\r\nSubject: x\r\n\r\nhi\r\n\r\n",
            1 << 20,
        );
        assert_eq!(
            items[0].as_ref().unwrap().bytes,
            b"Subject: x\r\n\r\nhi\r\n"
        );
    }
}
