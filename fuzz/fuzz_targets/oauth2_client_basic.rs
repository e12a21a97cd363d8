//! Django OAuth Toolkit's client credentials in `Authorization: Basic`
//! (`auth_core::oauth2::endpoint::parse_basic`): any header is refused or
//! gives a pair, and a pair quoted back into a header gives it again.
#![no_main]

use auth_core::oauth2::endpoint::parse_basic;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

/// `urllib.parse.quote_plus`-like: what `unquote_plus` reads back as `text`.
fn quote(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if let Some((id, secret)) = parse_basic(data) {
        if id.contains('\u{fffd}') || secret.contains('\u{fffd}') {
            return;
        }
        let header = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", quote(&id), quote(&secret)))
        );
        assert_eq!(parse_basic(header.as_bytes()), Some((id, secret)));
    }
});
