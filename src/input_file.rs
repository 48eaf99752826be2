//! Reading the files a setup depends on (Gemfile.lock, .bundle/config, the
//! head of installed spec files) so that no file can hang or exhaust the
//! boot: only regular files are read, opened without blocking (a FIFO
//! would block `open` until a writer comes, forever at boot; Bundler and
//! RubyGems hang there), and never more than a bound (`/dev/zero` behind a
//! symlink, or a multi-gigabyte file, would otherwise be read into memory).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Gemfile.lock: the largest real ones are a few hundred KiB; 64 MiB would
/// lock about a million gems.
pub const MAX_LOCKFILE: u64 = 64 << 20;
/// A Bundler config file (`KEY: "value"` lines).
pub const MAX_CONFIG: u64 = 16 << 20;

/// `O_NONBLOCK`, where its value is known: opening a FIFO then returns at
/// once instead of waiting for a writer. Regular files ignore it. (Miri
/// supports no open flags: without it there, the type checks still hold.)
#[cfg(all(
    not(miri),
    any(target_os = "linux", target_os = "android"),
    not(any(target_arch = "mips", target_arch = "mips64", target_arch = "sparc64"))
))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(all(
    not(miri),
    any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd")
))]
const O_NONBLOCK: i32 = 0x4;
#[cfg(any(
    miri,
    not(any(
        all(
            any(target_os = "linux", target_os = "android"),
            not(any(target_arch = "mips", target_arch = "mips64", target_arch = "sparc64"))
        ),
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    ))
))]
const O_NONBLOCK: i32 = 0;

/// Opens `path` for reading without blocking on a FIFO. Whether it is a
/// regular file is the caller's question ([`open_regular`] asks it).
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NONBLOCK);
    }
    options.open(path)
}

/// Opens `path` if it is (or links to) a regular file; anything else (a
/// FIFO, a device, a socket, a directory) is an `InvalidInput` error that
/// says so. Returns the file and its size.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, not_regular(&meta)));
    }
    Ok((file, meta.len()))
}

/// The whole of a regular file of at most `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let too_large = || io::Error::new(io::ErrorKind::InvalidInput, format!("it is larger than {} MiB", max >> 20));
    if len > max {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The size may change while reading (a file being rewritten): still bounded.
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

fn not_regular(meta: &std::fs::Metadata) -> String {
    let ft = meta.file_type();
    let what = if ft.is_dir() {
        "a directory"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                "a named pipe (FIFO)"
            } else if ft.is_char_device() || ft.is_block_device() {
                "a device"
            } else if ft.is_socket() {
                "a socket"
            } else {
                "not a file"
            }
        }
        #[cfg(not(unix))]
        "not a file"
    };
    format!("it is {what}, not a regular file")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fastbundle-input-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_regular_files_within_the_bound() {
        let dir = tmp("regular");
        let f = dir.join("Gemfile.lock");
        std::fs::write(&f, b"GEM\n").unwrap();
        assert_eq!(read_regular(&f, 10).unwrap(), b"GEM\n");
        let err = read_regular(&f, 3).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        let err = read_regular(&dir, 10).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        assert_eq!(read_regular(&dir.join("missing"), 10).unwrap_err().kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    #[cfg_attr(miri, ignore = "runs mkfifo(1); Miri cannot spawn processes")]
    fn devices_and_fifos_are_refused_without_blocking() {
        let err = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
        let dir = tmp("fifo");
        let fifo = dir.join("Gemfile.lock");
        // mkfifo(1) is in coreutils; without it there is nothing to test.
        if std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            let err = read_regular(&fifo, 1 << 20).unwrap_err();
            assert!(err.to_string().contains("named pipe"), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
