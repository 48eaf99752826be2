//! Checksummed cache files for the Ruby side's caches (compiled Ruby
//! files, compiled Gemfiles, recorded Definitions): a damaged compiled
//! instruction sequence can crash the process when loaded, so nothing is
//! handed to Ruby before its checksum is checked.
//!
//! Layout: MAGIC, payload length and xxh3-64 of the payload (u64 LE each),
//! then the payload. The plan cache has a format of its own (plan_cache.rs)
//! but the same rules for reading and writing files.

use std::fs;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use xxhash_rust::xxh3::xxh3_64;

use crate::cache_dir;

const MAGIC: &[u8; 8] = b"FBSEAL\x00\x01";
const HEADER: usize = 24;
const MAX_FILE: u64 = 64 << 20;

pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a sealed file's bytes, if it is whole and undamaged.
pub fn unseal(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return None;
    }
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER..];
    (word(8) == payload.len() as u64 && word(16) == xxh3_64(payload)).then_some(payload)
}

/// Reads a file this user alone wrote (not a symlink, ours, no group or
/// other write bit) in a directory that is ours alone; `None` otherwise.
pub fn read_trusted(path: &Path) -> Option<Vec<u8>> {
    cache_dir::trusted(path.parent()?).ok()?;
    let mut file = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || !cache_dir::trusted_metadata(&meta) || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The payload of the sealed file at `path`, if it can be trusted.
pub fn read(path: &Path) -> Option<Vec<u8>> {
    let bytes = read_trusted(path)?;
    unseal(&bytes).map(<[u8]>::to_vec)
}

/// Writes `payload` sealed to `path`, atomically and privately, in a
/// directory that is ours alone.
pub fn write(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no directory"))?;
    cache_dir::trusted(dir).map_err(|e| std::io::Error::other(e.describe()))?;
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| std::io::Error::other("no file name"))?;
    crate::plan_cache::write_entry(dir, name, &seal(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_damaged_byte_and_truncation_is_refused() {
        let sealed = seal(b"YARB compiled bytes");
        assert_eq!(unseal(&sealed), Some(&b"YARB compiled bytes"[..]));
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x20;
            assert_eq!(unseal(&bad), None, "byte {i}");
            assert_eq!(unseal(&sealed[..i]), None, "length {i}");
        }
    }
}
