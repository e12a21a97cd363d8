//! DRF's view name and description for `OPTIONS` responses
//! (`rest_framework.views.get_view_name` / `get_view_description`).

/// `get_view_name`: strip a trailing `View` or `ViewSet`, split camel case,
/// turn `_` into spaces, title-case: `my_view` → `My View`, `NoteDetailView` → `Note Detail`.
pub(crate) fn view_name(ident: &str) -> String {
    let name = ident.strip_prefix("r#").unwrap_or(ident);
    let name = remove_trailing(name, "View");
    let name = remove_trailing(name, "ViewSet");
    let spaced = camelcase_to_spaces(name);
    title(&spaced.split('_').collect::<Vec<_>>().join(" "))
}

/// `remove_trailing_string`: only when something is left.
fn remove_trailing<'a>(content: &'a str, trailing: &str) -> &'a str {
    match content.strip_suffix(trailing) {
        Some(rest) if !rest.is_empty() => rest,
        _ => content,
    }
}

/// `re.sub('(((?<=[a-z])[A-Z])|([A-Z](?![A-Z]|$)))', ' \1', s).strip()`:
/// a space before an upper-case letter that follows a lower-case one, or that
/// is followed by something other than an upper-case letter or the end.
fn camelcase_to_spaces(content: &str) -> String {
    let chars: Vec<char> = content.chars().collect();
    let mut out = String::with_capacity(content.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
            let next_not_upper = chars.get(i + 1).is_some_and(|n| !n.is_ascii_uppercase());
            if after_lower || next_not_upper {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// Python's `str.title()`: a letter after a non-letter is upper-cased, any
/// other letter lower-cased.
fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_cased = false;
    for c in text.chars() {
        if c.is_alphabetic() {
            if previous_cased {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            previous_cased = true;
        } else {
            out.push(c);
            previous_cased = false;
        }
    }
    out
}

/// `get_view_description`: the doc comment, dedented as DRF's `dedent`
/// (the indentation common to all lines but the first is removed), stripped.
pub(crate) fn view_description(doc_lines: &[String]) -> String {
    let content = doc_lines.join("\n");
    let rest: Vec<&str> = content
        .lines()
        .skip(1)
        .filter(|l| !l.trim_start().is_empty())
        .collect();
    let indent = |ch: char| {
        rest.iter()
            .map(|l| l.len() - l.trim_start_matches(ch).len())
            .min()
            .unwrap_or(0)
    };
    let (spaces, tabs) = (indent(' '), indent('\t'));
    let prefix = if spaces > 0 {
        " ".repeat(spaces)
    } else if tabs > 0 {
        "\t".repeat(tabs)
    } else {
        String::new()
    };
    let dedented: Vec<&str> = content
        .split('\n')
        .map(|line| {
            if prefix.is_empty() {
                line
            } else {
                line.strip_prefix(prefix.as_str()).unwrap_or(line)
            }
        })
        .collect();
    dedented.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values computed with DRF's `get_view_name` on class names.
    #[test]
    fn names_match_drf() {
        for (ident, expected) in [
            ("my_view", "My View"),
            ("MockView", "Mock"),
            ("NoteDetailView", "Note Detail"),
            ("View", "View"),
            ("ViewSet", "View Set"),
            ("UserViewSet", "User"),
            ("HTTPResponseView", "Http Response"),
            ("r#type", "Type"),
            ("api2view", "Api2View"),
            ("obtain_auth_token", "Obtain Auth Token"),
            ("XMLHttp", "Xml Http"),
        ] {
            assert_eq!(view_name(ident), expected, "{ident}");
        }
    }

    #[test]
    fn descriptions_are_dedented() {
        let doc = |lines: &[&str]| {
            view_description(&lines.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(doc(&[" Some doc."]), "Some doc.");
        assert_eq!(
            doc(&[" First.", "", " Second", "   indented"]),
            "First.\n\nSecond\n  indented"
        );
        assert_eq!(doc(&[]), "");
    }
}
