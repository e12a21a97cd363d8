//! Helpers shared by the fuzz targets.
#![forbid(unsafe_code)]

/// The separator between the fields of a multi-field input (a byte that no
/// header value and no UTF-8 text contains).
pub const SEPARATOR: u8 = 0xff;

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
