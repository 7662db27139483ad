//! Where a log comes from: a file, a gzip-compressed file (as logrotate leaves them: known by
//! its first bytes, whatever its name), or standard input (`-`, or no file at all). Always a
//! buffered line reader.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// One opened log.
pub struct Source {
    /// The path, or `-` for standard input.
    pub name: String,
    pub reader: Box<dyn BufRead>,
}

/// gzip's magic number.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Open `path`: `-` is standard input; gzip data is decompressed on the fly.
pub fn open(path: &Path) -> io::Result<Source> {
    let name = path.display().to_string();
    let mut raw: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(path)?))
    };
    let reader: Box<dyn BufRead> = if raw.fill_buf()?.starts_with(&GZIP_MAGIC) {
        Box::new(BufReader::new(MultiGzDecoder::new(raw)))
    } else {
        raw
    };
    Ok(Source { name, reader })
}
