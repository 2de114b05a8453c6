//! A small Server-Sent Events parser (the `text/event-stream` format of the
//! HTML standard), fed with the body's bytes as they arrive.
//!
//! Lines end in `\n`, `\r\n` or `\r` (also when a chunk ends between the
//! `\r` and the `\n`); `field: value` lines set `event`, `data` (joined with
//! `\n`), `id` and `retry`; lines starting with `:` are comments (keep-alives);
//! a blank line dispatches the event, unless it has no data.
//!
//! A line longer than [`MAX_LINE`] bytes is cut there (the rest of it is
//! dropped), so a broken server cannot make the client grow without bound.

/// The longest line kept, in bytes.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` name, `message` when none was given.
    pub(crate) event: String,
    /// The `data:` lines, joined with `\n`.
    pub(crate) data: String,
    /// The last `id:` seen on the stream so far (sent back as
    /// `Last-Event-ID` when reconnecting).
    pub(crate) id: Option<String>,
}

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// Bytes of the line not yet complete.
    line: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` starting the next one
    /// belongs to that line end.
    after_cr: bool,
    /// Whether the first line is still to come (a leading BOM is dropped).
    at_start: bool,
    /// The event being assembled.
    event: Option<String>,
    /// Its data lines.
    data: Vec<String>,
    /// The last event id.
    last_id: Option<String>,
    /// The reconnection delay the server asked for, in milliseconds.
    retry_ms: Option<u64>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub(crate) fn new() -> Self {
        Self {
            at_start: true,
            ..Self::default()
        }
    }

    /// The last event id seen, for `Last-Event-ID`.
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the server asked for with `retry:`.
    pub(crate) fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// Feed the next bytes of the body; returns the events they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line) {
                        events.push(event);
                    }
                }
                _ if self.line.len() < MAX_LINE => self.line.push(byte),
                _ => {}
            }
        }
        events
    }

    /// Handle one complete line.
    fn line_done(&mut self, raw: &[u8]) -> Option<SseEvent> {
        let mut raw = raw;
        if std::mem::take(&mut self.at_start) {
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        if raw.is_empty() {
            return self.dispatch();
        }
        let line = String::from_utf8_lossy(raw);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
        None
    }

    /// A blank line: hand out the assembled event (none without data).
    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseEvent {
            event: event
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            data,
            id: self.last_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        chunks.iter().flat_map(|chunk| parser.push(chunk)).collect()
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        }
    }

    #[test]
    fn named_events_with_ids_and_multi_line_data() {
        let events =
            all(&[b"event: log\nid: 7\ndata: one\ndata: two\n\nevent: status\ndata:{\"s\":1}\n\n"]);
        assert_eq!(
            events,
            vec![
                ev("log", "one\ntwo", Some("7")),
                ev("status", "{\"s\":1}", Some("7")),
            ]
        );
    }

    #[test]
    fn unnamed_event_is_a_message() {
        assert_eq!(all(&[b"data: hi\n\n"]), vec![ev("message", "hi", None)]);
    }

    #[test]
    fn events_split_anywhere_across_chunks() {
        let body = b"event: log\r\ndata: h\xc3\xa9llo\r\n\r\ndata: x\r\r";
        let whole = all(&[body]);
        assert_eq!(
            whole,
            vec![ev("log", "h\u{e9}llo", None), ev("message", "x", None)]
        );
        for cut in 1..body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(all(&[a, b]), whole, "split at {cut}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(all(&bytes), whole);
    }

    #[test]
    fn comments_and_empty_events_are_not_dispatched() {
        let events = all(&[b": keep-alive\n\nevent: ping\n\nretry: 1500\nunknown: x\ndata\n\n"]);
        assert_eq!(events, vec![ev("message", "", None)]);
        let mut parser = SseParser::new();
        parser.push(b"retry: 1500\n\nretry: soon\n\n");
        assert_eq!(parser.retry_ms(), Some(1500));
    }

    #[test]
    fn only_one_leading_space_is_removed_and_colons_stay_in_values() {
        assert_eq!(
            all(&[b"data:  a: b\n\n"]),
            vec![ev("message", " a: b", None)]
        );
    }

    #[test]
    fn leading_bom_is_ignored_and_last_id_is_kept() {
        let mut parser = SseParser::new();
        let events = parser.push("\u{feff}id: 3\ndata: a\n\ndata: b\n\n".as_bytes());
        assert_eq!(
            events,
            vec![ev("message", "a", Some("3")), ev("message", "b", Some("3"))]
        );
        assert_eq!(parser.last_id(), Some("3"));
    }

    #[test]
    fn overlong_lines_are_cut() {
        let mut parser = SseParser::new();
        let mut body = b"data: ".to_vec();
        body.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        body.extend(b"\n\n");
        let events = parser.push(&body);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.len(), MAX_LINE - "data: ".len());
    }

    #[test]
    fn an_incomplete_event_waits_for_its_blank_line() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: a\n").is_empty());
        assert_eq!(parser.push(b"\n"), vec![ev("message", "a", None)]);
    }
}
