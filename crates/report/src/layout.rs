//! The summary's JSON layout: pretty (one value a line, indented), except that an array inside
//! an array is written on one line, so that a histogram's `[value_us, count]` buckets take a
//! line each instead of four (a long run's time series holds hundreds of thousands of them).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// `value` as pretty JSON with inner arrays on one line.
///
/// ```
/// let json = hls_swarm_report::to_json_pretty(&serde_json::json!({"histogram": [[1, 2], [3, 4]], "n": [5]}));
/// assert_eq!(json, "{\n  \"histogram\": [\n    [1,2],\n    [3,4]\n  ],\n  \"n\": [\n    5\n  ]\n}");
/// ```
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, InnerArraysInline::default());
    value
        .serialize(&mut ser)
        .expect("a report always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`PrettyFormatter`], but an array inside an array, and everything within it, is written
/// compact.
#[derive(Default)]
struct InnerArraysInline {
    pretty: PrettyFormatter<'static>,
    /// The open containers, innermost last: `true` for an array.
    open: Vec<bool>,
    /// How many of the innermost open containers are written compact.
    compact: usize,
}

impl InnerArraysInline {
    /// Opens a container (`array` or an object): compact within a compact one, and an array
    /// within an array.
    fn open(&mut self, array: bool) -> bool {
        let compact = self.compact > 0 || (array && self.open.last() == Some(&true));
        self.open.push(array);
        if compact {
            self.compact += 1;
        }
        compact
    }

    /// Closes the innermost container; whether it was compact.
    fn close(&mut self) -> bool {
        self.open.pop();
        let compact = self.compact > 0;
        if compact {
            self.compact -= 1;
        }
        compact
    }
}

impl Formatter for InnerArraysInline {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.open(true) {
            w.write_all(b"[")
        } else {
            self.pretty.begin_array(w)
        }
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.close() {
            w.write_all(b"]")
        } else {
            self.pretty.end_array(w)
        }
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        match (self.compact > 0, first) {
            (true, true) => Ok(()),
            (true, false) => w.write_all(b","),
            (false, _) => self.pretty.begin_array_value(w, first),
        }
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact > 0 {
            Ok(())
        } else {
            self.pretty.end_array_value(w)
        }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.open(false) {
            w.write_all(b"{")
        } else {
            self.pretty.begin_object(w)
        }
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.close() {
            w.write_all(b"}")
        } else {
            self.pretty.end_object(w)
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        match (self.compact > 0, first) {
            (true, true) => Ok(()),
            (true, false) => w.write_all(b","),
            (false, _) => self.pretty.begin_object_key(w, first),
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact > 0 {
            w.write_all(b":")
        } else {
            self.pretty.begin_object_value(w)
        }
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact > 0 {
            Ok(())
        } else {
            self.pretty.end_object_value(w)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_back_as_the_same_value_at_every_depth() {
        let value = serde_json::json!({
            "a": [[1, [2, {"k": [3]}]], {"o": [[4, 5]]}, []],
            "b": {"c": [], "d": {}},
            "e": [{"f": [[6]]}],
        });
        let json = to_json_pretty(&value);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            value
        );
        assert!(json.contains("\n    [1,[2,{\"k\":[3]}]],\n"), "{json}");
        assert!(
            json.contains("\"o\": [\n        [4,5]\n"),
            "an object in an array is pretty: {json}"
        );
        assert!(json.contains("\n        [6]\n"), "{json}");
    }
}
