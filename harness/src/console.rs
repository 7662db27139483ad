//! Printing that never panics. `println!` panics when stdout is a closed pipe
//! (`badgateway validate scenarios | head -1`), which would skip cleanup and turn finished work
//! into exit 101. These macros write and ignore the error: output nobody reads is not a
//! failure of the work, and the exit code stays the work's.

/// `println!` to stdout, ignoring a closed or broken stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` to stdout, ignoring a closed or broken stdout.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        let _ = write!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
}

/// `eprintln!` to stderr, ignoring a closed or broken stderr.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` to stderr, ignoring a closed or broken stderr.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
