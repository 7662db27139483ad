//! Where a log comes from: a file, a gzip-compressed file (`.gz`, as logrotate leaves them),
//! or standard input (`-`, or no file at all). Always a buffered line reader.

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

/// Open `path`: `-` is standard input, `*.gz` is decompressed on the fly.
pub fn open(path: &Path) -> io::Result<Source> {
    let name = path.display().to_string();
    if name == "-" {
        return Ok(Source {
            name,
            reader: Box::new(BufReader::new(io::stdin())),
        });
    }
    let file = File::open(path)?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    Ok(Source { name, reader })
}
