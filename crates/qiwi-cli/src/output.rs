//! Standard output that a reader going away cannot turn into a panic (`println!` panics when
//! `qiwi demo | head` closes the pipe).

use std::io::Write as _;

/// Writes `args` on stdout. When the reader has gone (a closed pipe) the command ends quietly
/// with success, as `head`'s writers do; another write failure ends it with one line.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        ended(&e);
    }
}

/// Ends the command after a failed write on stdout.
pub fn ended(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("qiwi: writing to stdout: {e}");
    std::process::exit(1)
}
