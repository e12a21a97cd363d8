//! Helpers shared by the fuzz targets.
#![forbid(unsafe_code)]

use std::path::Path;

use auth_actix::auth_core::{Hashers, NewUser, PoolConfig};
use auth_actix::AuthStore;

/// The separator between the fields of a multi-field input (a byte that no
/// header value and no UTF-8 text contains).
pub const SEPARATOR: u8 = 0xff;

/// The prefix of [`scratch_dir`]'s directories, before the process id.
const SCRATCH_PREFIX: &str = "drf-actix-fuzz-";

/// A temporary directory for a target's databases: in `/dev/shm` where it
/// exists, since every SQLite commit syncs to disk (eight times fewer inputs
/// a second for `http_login` on a disk). A target keeps its app, and so this
/// directory, until the process exits, which skips destructors: each call
/// first removes the directories of processes that are gone.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    remove_stale_scratch_dirs(&base);
    tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
        .tempdir_in(&base)
        .unwrap()
}

/// Remove the scratch directories in `base` whose process is not running
/// (only where `/proc` tells which processes run).
fn remove_stale_scratch_dirs(base: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A migrated SQLite store in the file `name` of `dir`, with one user,
/// alice/pw, and PBKDF2 at one iteration (checking a password costs nothing).
pub fn sqlite_store_with_alice(dir: &Path, name: &str) -> AuthStore {
    let url = format!("sqlite://{}", dir.join(name).display());
    let store = AuthStore::connect(&url, &PoolConfig::default())
        .unwrap()
        .with_hashers(Hashers {
            pbkdf2_iterations: 1,
        });
    store.migrate().unwrap();
    store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    store
}

/// `data` cut at [`SEPARATOR`] into exactly `n` fields: the last field takes
/// the rest (separators included), missing fields are empty.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == SEPARATOR).collect();
    out.resize(n, &[]);
    out
}

/// A field as optional text: `None` when empty or not UTF-8.
pub fn text(field: &[u8]) -> Option<&str> {
    (!field.is_empty())
        .then(|| std::str::from_utf8(field).ok())
        .flatten()
}

/// Whether checking a password against `encoded` is cheap enough to fuzz:
/// the stored parameters set the cost of a check (up to the hashers' caps,
/// seconds of work), so inputs asking for more than a few milliseconds are
/// only parsed, not checked.
pub fn is_cheap_hash(encoded: &str) -> bool {
    let numbers = encoded
        .split(['$', ','])
        .map(|piece| piece.split_once('=').map_or(piece, |(_, v)| v))
        .filter(|piece| !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()))
        .map(|piece| {
            if piece.len() > 6 {
                u64::MAX
            } else {
                piece.parse().unwrap_or(u64::MAX)
            }
        });
    let mut product: u64 = 1;
    for n in numbers {
        let limit = if encoded.starts_with("bcrypt_sha256$") {
            6
        } else {
            1024
        };
        if n > limit {
            return false;
        }
        product = product.saturating_mul(n.max(1));
    }
    !encoded.starts_with("scrypt$") || product <= 1 << 16
}

/// Python's `bytes.isspace()` set, which DRF splits `Authorization` on.
pub fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}
