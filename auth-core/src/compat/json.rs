//! Python's `json.dumps(obj, separators=(",", ":"))` over any `Serialize`
//! value: `serde_json`'s compact output (whose escapes of `"`, `\` and the
//! control characters are Python's), floats as Python's `repr` writes them,
//! and the characters a caller picks escaped as `\uXXXX` (UTF-16 units, as
//! Python writes them): everything outside `' '..='~'` for Python's
//! `ensure_ascii=True`, or only U+2028 and U+2029 for DRF's `JSONRenderer`.

use std::io;

use serde::Serialize;

use super::py_float_repr;

/// `obj` as compact JSON, the characters `escaped` picks written as
/// `\uXXXX`; `Err` with serde_json's message when it cannot write the value
/// (a map whose keys are not strings or numbers, a failing `Serialize`).
pub(crate) fn dumps<T: Serialize + ?Sized>(
    obj: &T,
    escaped: fn(char) -> bool,
) -> Result<String, String> {
    write(
        obj,
        PythonFormatter {
            escaped,
            spaced: false,
        },
    )
}

/// Python's `json.dumps(obj)` with its default separators `(", ", ": ")`
/// and `ensure_ascii=True`, as oauthlib and Django's `JsonResponse` write
/// their bodies.
pub(crate) fn dumps_spaced<T: Serialize + ?Sized>(obj: &T) -> Result<String, String> {
    write(
        obj,
        PythonFormatter {
            escaped: non_ascii,
            spaced: true,
        },
    )
}

fn write<T: Serialize + ?Sized>(obj: &T, formatter: PythonFormatter) -> Result<String, String> {
    let mut out = Vec::with_capacity(128);
    obj.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))
    .map_err(|err| err.to_string())?;
    String::from_utf8(out).map_err(|err| err.to_string())
}

/// Python's `ensure_ascii=True`: every character outside `' '..='~'`.
pub(crate) fn non_ascii(c: char) -> bool {
    !(' '..='~').contains(&c)
}

struct PythonFormatter {
    escaped: fn(char) -> bool,
    /// `", "` and `": "` (Python's default separators) instead of `,` and `:`.
    spaced: bool,
}

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        match (first, self.spaced) {
            (true, _) => Ok(()),
            (false, true) => writer.write_all(b", "),
            (false, false) => writer.write_all(b","),
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.begin_array_value(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(if self.spaced { b": " } else { b":" })
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(py_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !(self.escaped)(c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}
