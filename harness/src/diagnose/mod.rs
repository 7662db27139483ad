//! `diagnose`: read a real nginx error.log as a stream and group its upstream failures by cause
//! (kind, phase, errno), with counts, first and last time, the upstreams and request methods
//! affected, and for each cause the catalogue scenario that reproduces it and its proven fix.
//!
//! Memory is bounded by the number of distinct causes and messages (each capped), not by the
//! log's length; each line costs a few substring checks. Lines that are not nginx error.log
//! lines are counted (with one example), never silently dropped.

mod cause;
mod source;

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

pub use crate::errorlog::{Line, split};
pub use cause::{Cause, CauseKind, ProxyStep, classify, describe};
pub use source::{Source, open};

use crate::fixes::{Advice, Catalogue};

/// Distinct causes kept; more are counted in [`Diagnosis::dropped`].
const MAX_CAUSES: usize = 64;
/// Distinct non-upstream messages kept.
const MAX_OTHER: usize = 30;
/// Distinct upstream addresses or methods kept per cause.
const MAX_KEYS: usize = 16;
/// Longest example line kept.
const MAX_EXAMPLE: usize = 2000;
/// Longest line read: the rest of a longer line is skipped (and the line counted in
/// [`Diagnosis::cut_lines`]), so memory stays bounded whatever the input. nginx's own error.log
/// lines are at most about 2 KiB (`NGX_MAX_ERROR_STR`).
pub const MAX_LINE: usize = 64 * 1024;

/// What a log showed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Every line read.
    pub lines: u64,
    /// Lines in nginx's error.log format.
    pub nginx_lines: u64,
    pub by_level: BTreeMap<String, u64>,
    /// Lines not in nginx's format (counted, one example kept).
    pub unknown_lines: u64,
    pub unknown_example: Option<String>,
    /// Upstream failures by cause, most frequent first.
    pub causes: Vec<CauseReport>,
    /// Other nginx messages (startup notices, client errors ...), most frequent first.
    pub other: Vec<OtherMessage>,
    /// Lines whose cause or message did not fit the caps above (counted only).
    pub dropped: u64,
    /// Lines longer than [`MAX_LINE`] bytes, read only up to that length.
    #[serde(default)]
    pub cut_lines: u64,
}

/// One cause and everything seen about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CauseReport {
    pub cause: Cause,
    /// The cause in nginx's words.
    pub message: String,
    pub level: String,
    pub count: u64,
    pub first: String,
    pub last: String,
    /// `http://host:port` → lines; at most `MAX_KEYS`, the rest under `other`.
    pub upstreams: BTreeMap<String, u64>,
    pub methods: BTreeMap<String, u64>,
    /// The first line of this cause, as nginx wrote it.
    pub example: String,
    /// Catalogue scenarios that reproduce it, the most specific first.
    pub advice: Vec<Advice>,
}

/// A non-upstream nginx message and its count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherMessage {
    pub level: String,
    pub message: String,
    pub count: u64,
}

/// Streams lines in; [`Analyzer::finish`] turns what it saw into a [`Diagnosis`].
#[derive(Debug, Default)]
pub struct Analyzer {
    d: Diagnosis,
    causes: BTreeMap<Cause, CauseReport>,
    other: BTreeMap<(String, String), u64>,
}

impl Analyzer {
    /// Account for one line (without its newline).
    pub fn feed(&mut self, text: &str) {
        self.d.lines += 1;
        let Some(line) = split(text) else {
            if !text.trim().is_empty() {
                self.d.unknown_lines += 1;
                if self.d.unknown_example.is_none() {
                    self.d.unknown_example = Some(clip(text));
                }
            }
            return;
        };
        self.d.nginx_lines += 1;
        bump(&mut self.d.by_level, line.level, usize::MAX);
        match classify(line.message) {
            Some(cause) => self.feed_cause(cause, &line, text),
            None => self.feed_other(&line, text),
        }
    }

    fn feed_cause(&mut self, cause: Cause, line: &Line, text: &str) {
        if !self.causes.contains_key(&cause) && self.causes.len() >= MAX_CAUSES {
            self.d.dropped += 1;
            return;
        }
        let entry = self.causes.entry(cause).or_insert_with(|| CauseReport {
            cause,
            message: describe(&cause, line.message),
            level: line.level.to_string(),
            count: 0,
            first: line.time.to_string(),
            last: String::new(),
            upstreams: BTreeMap::new(),
            methods: BTreeMap::new(),
            example: clip(text),
            advice: Vec::new(),
        });
        entry.count += 1;
        entry.last.clear();
        entry.last.push_str(line.time);
        if let Some(u) = line.upstream {
            bump(&mut entry.upstreams, u, MAX_KEYS);
        }
        if let Some(m) = line.method {
            bump(&mut entry.methods, m, MAX_KEYS);
        }
    }

    fn feed_other(&mut self, line: &Line, text: &str) {
        let key = (line.level.to_string(), crate::errorlog::normalize(text));
        let full = self.other.len() >= MAX_OTHER;
        match self.other.get_mut(&key) {
            Some(n) => *n += 1,
            None if full => self.d.dropped += 1,
            None => {
                self.other.insert(key, 1);
            }
        }
    }

    /// The diagnosis, with each cause's advice looked up in `catalogue`.
    pub fn finish(self, catalogue: &Catalogue) -> Diagnosis {
        let mut d = self.d;
        d.causes = self.causes.into_values().collect();
        for c in &mut d.causes {
            c.advice = advice_for(&c.example, catalogue);
        }
        d.causes
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.cause.cmp(&b.cause)));
        d.other = self
            .other
            .into_iter()
            .map(|((level, message), count)| OtherMessage {
                level,
                message,
                count,
            })
            .collect();
        d.other.sort_by_key(|m| std::cmp::Reverse(m.count));
        d
    }
}

/// Count `key` in `map`, folding new keys into `other` once the map holds `cap` keys.
fn bump(map: &mut BTreeMap<String, u64>, key: &str, cap: usize) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else if map.len() < cap {
        map.insert(key.to_string(), 1);
    } else {
        *map.entry("other".to_string()).or_insert(0) += 1;
    }
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_EXAMPLE) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// The scenario that declares a line like the example its own (`proves.log`) first, then every
/// scenario whose proof lines match it.
fn advice_for(example: &str, catalogue: &Catalogue) -> Vec<Advice> {
    let mut out: Vec<Advice> = catalogue.proving_log_line(example).into_iter().collect();
    for a in catalogue.matching_log_line(example) {
        if !out.iter().any(|o| o.scenario == a.scenario) {
            out.push(a);
        }
    }
    out
}

/// Analyse every source in order as one log.
pub fn analyze(sources: Vec<Source>, catalogue: &Catalogue) -> std::io::Result<Diagnosis> {
    let mut analyzer = Analyzer::default();
    let mut buf = Vec::with_capacity(4096);
    for mut source in sources {
        loop {
            buf.clear();
            let Some(cut) = read_line(&mut source.reader, &mut buf, MAX_LINE)? else {
                break;
            };
            analyzer.d.cut_lines += u64::from(cut);
            let text = String::from_utf8_lossy(&buf);
            analyzer.feed(text.trim_end_matches(['\n', '\r']));
        }
    }
    Ok(analyzer.finish(catalogue))
}

/// Read one line into `buf`, at most `max` bytes of it; the rest of a longer line is read and
/// thrown away. `None` at the end of the input; `Some(true)` when the line was cut.
fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    let mut cut = false;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (line, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..=i], true),
            None => (chunk, false),
        };
        let room = max.saturating_sub(buf.len());
        cut |= line.len() > room;
        buf.extend_from_slice(&line[..line.len().min(room)]);
        let used = line.len();
        reader.consume(used);
        if done {
            return Ok(Some(cut));
        }
    }
}

#[cfg(test)]
mod tests;
