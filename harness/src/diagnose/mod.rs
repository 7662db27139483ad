//! `diagnose`: read a real nginx error.log as a stream and group its upstream failures by cause
//! (kind, phase, errno, the upstream's protocol), with counts, first and last time, the
//! upstreams and request methods affected, what the client got, a fix, and the catalogue
//! scenario that reproduces it (with its proven fix) where there is one.
//!
//! Logs are taken as people paste them: behind container-runtime, journald or quote prefixes,
//! indented, cut short, or pasted from the middle of a line (no timestamp: the message still
//! counts when it is recognisably nginx's). Each cause carries what the client got and a fix in
//! the directive family of the upstream's protocol ([`cause::fix`]).
//!
//! Memory is bounded by the number of distinct causes and messages (each capped), not by the
//! log's length; each line costs a few substring checks. Lines that are not nginx error.log
//! lines are counted (with one example), never silently dropped.

mod cause;
mod source;

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

pub use crate::errorlog::{Line, split, split_undated};
pub use cause::fix::ClientSees;
pub use cause::{Cause, CauseKind, Family, ProxyStep, classify, describe};
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
    /// nginx lines read without their timestamp (pasted from their middle), among
    /// `nginx_lines`.
    #[serde(default)]
    pub undated_lines: u64,
    /// Lines holding NUL bytes: binary data, not text (among `unknown_lines`).
    #[serde(default)]
    pub binary_lines: u64,
}

/// One cause and everything seen about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CauseReport {
    pub cause: Cause,
    /// The cause in nginx's words.
    pub message: String,
    /// Empty when every line of it was pasted without its level.
    pub level: String,
    /// What the client got.
    pub client: ClientSees,
    /// How to fix it, in the directive family of the upstream's protocol.
    pub fix: String,
    pub count: u64,
    /// The first and last time seen; empty when no line of it had one.
    pub first: String,
    pub last: String,
    /// `http://host:port` → lines; at most `MAX_KEYS`, the rest under `other`.
    pub upstreams: BTreeMap<String, u64>,
    pub methods: BTreeMap<String, u64>,
    /// The first line of this cause, as nginx wrote it.
    pub example: String,
    /// Catalogue scenarios that reproduce it, the most specific first; empty when the catalogue
    /// has none yet.
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
        let Some((line, cause)) = read_nginx_line(text) else {
            self.feed_unknown(text);
            return;
        };
        self.d.nginx_lines += 1;
        if line.time.is_empty() {
            self.d.undated_lines += 1;
        }
        if !line.level.is_empty() {
            bump(&mut self.d.by_level, line.level, usize::MAX);
        }
        match cause {
            Some(cause) => self.feed_cause(cause, &line, text),
            None => self.feed_other(&line),
        }
    }

    fn feed_unknown(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.d.unknown_lines += 1;
        if text.contains('\0') {
            self.d.binary_lines += 1;
        }
        if self.d.unknown_example.is_none() {
            self.d.unknown_example = Some(cause::clip(text, MAX_EXAMPLE));
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
            level: String::new(),
            client: cause::fix::client_sees(&cause),
            fix: cause::fix::fix(&cause),
            count: 0,
            first: String::new(),
            last: String::new(),
            upstreams: BTreeMap::new(),
            methods: BTreeMap::new(),
            example: cause::clip(text, MAX_EXAMPLE),
            advice: Vec::new(),
        });
        entry.count += 1;
        if entry.level.is_empty() {
            entry.level.push_str(line.level);
        }
        if !line.time.is_empty() {
            if entry.first.is_empty() {
                entry.first.push_str(line.time);
            }
            entry.last.clear();
            entry.last.push_str(line.time);
        }
        if let Some(u) = line.upstream {
            bump(&mut entry.upstreams, u, MAX_KEYS);
        }
        if let Some(m) = line.method {
            bump(&mut entry.methods, m, MAX_KEYS);
        }
    }

    fn feed_other(&mut self, line: &Line) {
        let key = (
            line.level.to_string(),
            crate::errorlog::normalize(line.message),
        );
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
    pub fn finish(mut self, catalogue: &Catalogue) -> Diagnosis {
        merge_familyless(&mut self.causes);
        let mut d = self.d;
        d.causes = self.causes.into_values().collect();
        for c in d
            .causes
            .iter_mut()
            .filter(|c| cause::fix::catalogue_applies(c.cause.kind))
        {
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

/// The nginx line in `text` and its cause: a dated line behind any prefix, else an undated one
/// that carries nginx's markers (`[level]`, `*cid`) or names a cause nginx words.
fn read_nginx_line(text: &str) -> Option<(Line<'_>, Option<Cause>)> {
    if let Some(line) = split(text) {
        let cause = classify(&line);
        return Some((line, cause));
    }
    let line = split_undated(text)?;
    let cause = classify(&line);
    let marked = !line.level.is_empty() || line.connection.is_some();
    (marked || cause.is_some()).then_some((line, cause))
}

/// Lines cut before their `upstream:` field name no protocol: their cause joins the one cause
/// of a known protocol that agrees on kind, step and errno, when there is exactly one.
fn merge_familyless(causes: &mut BTreeMap<Cause, CauseReport>) {
    let familyless: Vec<Cause> = causes
        .keys()
        .filter(|c| c.family == Family::Unknown)
        .copied()
        .collect();
    for partial in familyless {
        let same = |c: &&Cause| {
            c.family != Family::Unknown
                && (c.kind, c.phase, c.errno) == (partial.kind, partial.phase, partial.errno)
        };
        let mut matches = causes.keys().filter(same);
        let (Some(&whole), None) = (matches.next(), matches.next()) else {
            continue;
        };
        let from = causes.remove(&partial).expect("listed above");
        let into = causes.get_mut(&whole).expect("listed above");
        into.count += from.count;
        for (k, n) in from.upstreams {
            *into.upstreams.entry(k).or_insert(0) += n;
        }
        for (k, n) in from.methods {
            *into.methods.entry(k).or_insert(0) += n;
        }
        if into.first.is_empty() || (!from.first.is_empty() && from.first < into.first) {
            into.first = from.first;
        }
        if from.last > into.last {
            into.last = from.last;
        }
        if into.level.is_empty() {
            into.level = from.level;
        }
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
