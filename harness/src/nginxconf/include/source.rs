//! Reading one config file's text, refusing what cannot be a config before the parser sees it:
//! a folder, a missing or unreadable file, a file that would pass the size budget of one load
//! ([`Budget`]), and binary content (a NUL byte, or bytes that are not UTF-8), each with the
//! place and a hint instead of a parse error deep inside.

use std::path::Path;

use crate::input_error::InputError;

/// How many files one config may read, includes and globs together.
pub const MAX_FILES: usize = 1000;
/// How many bytes one config may read, all its files together.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// What one load has read so far, against [`MAX_FILES`] and [`MAX_BYTES`].
#[derive(Debug, Default)]
pub struct Budget {
    pub files: usize,
    pub bytes: u64,
}

impl Budget {
    /// Count `size` more bytes in one more file; the message when that breaks a limit.
    pub fn take(&mut self, size: u64) -> Result<(), String> {
        self.files += 1;
        self.bytes += size;
        if self.files > MAX_FILES {
            return Err(format!(
                "the config reads more than {MAX_FILES} files (with its includes)"
            ));
        }
        if self.bytes > MAX_BYTES {
            return Err(format!(
                "the config's files add up to more than {} MiB",
                MAX_BYTES / 1024 / 1024
            ));
        }
        Ok(())
    }
}

/// The text of `file`, counted against `budget`.
pub fn read(file: &Path, budget: &mut Budget) -> Result<String, InputError> {
    let meta = std::fs::metadata(file).map_err(|e| unreadable(file, &e))?;
    if meta.is_dir() {
        return Err(
            InputError::whole_file(file, "is a folder, not a config file").with_hint(
                "pass the main config (e.g. /etc/nginx/nginx.conf) or one site's file \
             (e.g. sites-enabled/default)",
            ),
        );
    }
    budget.take(meta.len()).map_err(|m| {
        InputError::whole_file(file, m).with_hint(format!(
            "badgateway reads at most {MAX_FILES} files and {} MiB per config; check for an \
             include glob that matches far more than configs",
            MAX_BYTES / 1024 / 1024
        ))
    })?;
    let bytes = std::fs::read(file).map_err(|e| unreadable(file, &e))?;
    text(file, bytes)
}

fn unreadable(file: &Path, e: &std::io::Error) -> InputError {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        _ => format!("cannot be read: {e}"),
    };
    InputError::whole_file(file, what).with_hint("pass the path of a readable nginx config file")
}

/// `bytes` as text, or an error at the first NUL byte or the first byte that is not UTF-8.
fn text(file: &Path, bytes: Vec<u8>) -> Result<String, InputError> {
    let nul = bytes.iter().position(|&b| b == 0);
    let bytes = match String::from_utf8(bytes) {
        Ok(s) if nul.is_none() => return Ok(s),
        Ok(s) => s.into_bytes(),
        Err(e) => e.into_bytes(),
    };
    let valid = std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    let (offset, message, hint) = match nul {
        Some(n) if n < valid => (
            n,
            "has a NUL byte: this is a binary file, not an nginx config",
            "pass a text config file; check the path (or the include that names this file)",
        ),
        _ => (
            valid,
            "is not UTF-8 text (a binary file, or a config in another encoding)",
            "badgateway reads configs as UTF-8: re-save it as UTF-8, or check the path",
        ),
    };
    let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let mut err = InputError::whole_file(file, message).with_hint(hint);
    err.position = Some((line as u64, col as u64));
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_content_is_named_with_its_place() {
        let e = text(Path::new("f"), b"a;\nbc\0d".to_vec()).unwrap_err();
        assert_eq!(e.position, Some((2, 3)));
        assert!(e.message.contains("NUL byte"), "{e}");
        let e = text(Path::new("f"), b"# caf\xe9\n".to_vec()).unwrap_err();
        assert_eq!(e.position, Some((1, 6)));
        assert!(e.message.contains("not UTF-8"), "{e}");
        // Whichever comes first is reported.
        let e = text(Path::new("f"), b"\xff\0".to_vec()).unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e}");
        assert_eq!(text(Path::new("f"), "é;".into()).unwrap(), "é;");
    }

    #[test]
    fn the_budget_counts_files_and_bytes() {
        let mut b = Budget::default();
        for _ in 0..MAX_FILES {
            b.take(1).unwrap();
        }
        assert!(b.take(1).unwrap_err().contains("more than 1000 files"));
        let mut b = Budget::default();
        assert!(b.take(MAX_BYTES + 1).unwrap_err().contains("64 MiB"));
    }
}
