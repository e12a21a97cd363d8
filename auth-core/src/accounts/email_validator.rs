//! Django 5.2's `EmailValidator` (what DRF's `EmailField` runs), without
//! regular expressions.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Whether Django's `validate_email` accepts `value`: at most 320
/// characters, a dot-atom or quoted-string local part, and a domain that is
/// `localhost`, a host name with a top-level domain, or an `[IP literal]`.
pub fn validate_email(value: &str) -> bool {
    if value.is_empty() || value.chars().count() > 320 {
        return false;
    }
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    valid_user(user) && (domain == "localhost" || valid_domain(domain) || valid_literal(domain))
}

fn atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-!#$%&'*+/=?^_`{}|~".contains(c)
}

fn valid_user(user: &str) -> bool {
    // dot-atom
    if !user.is_empty() && user.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atom_char)) {
        return true;
    }
    // quoted-string
    let Some(inner) = user.strip_prefix('"').and_then(|u| u.strip_suffix('"')) else {
        return false;
    };
    if user.len() < 2 {
        return false;
    }
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = match c {
            '\\' => matches!(chars.next(), Some(e) if matches!(e, '\u{1}'..='\u{9}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{7f}')),
            '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '!' | '#'..='[' | ']'..='\u{7f}' => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `[a-z\u00a1-\uffff0-9]`, case-insensitively.
fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c)
}

fn valid_label(label: &str, max: usize) -> bool {
    let len = label.chars().count();
    (1..=max).contains(&len)
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || label_char(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    if rest.is_empty() || !rest.iter().all(|l| valid_label(l, 63)) {
        return false;
    }
    // `[a-z\u00a1-\uffff-]{2,63}` or `xn--[a-z0-9]{1,59}`, not starting or ending with `-`
    let letters = (2..=63).contains(&tld.chars().count())
        && tld
            .chars()
            .all(|c| c == '-' || c.is_ascii_alphabetic() || ('\u{a1}'..='\u{ffff}').contains(&c));
    let lower = tld.to_ascii_lowercase();
    let punycode = lower.strip_prefix("xn--").is_some_and(|p| {
        (1..=59).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
    });
    (letters || punycode) && !tld.starts_with('-') && !tld.ends_with('-')
}

fn valid_literal(domain: &str) -> bool {
    let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) else {
        return false;
    };
    !inner.is_empty()
        && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        && (inner.parse::<Ipv4Addr>().is_ok() || (inner.len() <= 39 && inner.parse::<Ipv6Addr>().is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Django 5.2's verdicts (`validate_email`) on these addresses.
    #[test]
    fn as_django_judges() {
        for ok in [
            "carol@example.com",
            "a.b+c@sub.example.co",
            "x@localhost",
            "\"ab\"@example.com",
            "\"\"@example.com",
            "user@[127.0.0.1]",
            "user@[::1]",
            "u@xn--80ak6aa92e.com",
            "u@bücher.de",
            "A@EXAMPLE.COM",
            "u@ex-ample.com",
        ] {
            assert!(validate_email(ok), "{ok}");
        }
        for bad in [
            "",
            "nope",
            "@example.com",
            "a@",
            "a@b",
            "a@example.",
            "a@-example.com",
            "a@example-.com",
            "a..b@example.com",
            ".a@example.com",
            "a b@example.com",
            "a@example.c",
            "a@[300.0.0.1]",
            "a@exa mple.com",
            "a@example.com-",
            "\"a b\"@example.com",
        ] {
            assert!(!validate_email(bad), "{bad}");
        }
    }

    mod properties {
        use super::super::validate_email;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in ".{0,80}") {
                let _ = validate_email(&s);
            }

            #[test]
            fn simple_addresses_pass(user in "[a-z0-9]{1,20}", host in "[a-z0-9]{1,20}", tld in "[a-z]{2,6}") {
                let address = format!("{user}@{host}.{tld}");
                prop_assert!(validate_email(&address));
            }
        }
    }
}
