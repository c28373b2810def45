//! Splitting a child's output into lines of bounded length.

/// Splits a byte stream into lines of at most `max_line` bytes.
pub(crate) struct Splitter {
    current: Vec<u8>,
    max_line: usize,
    /// The current line was cut; skip bytes until its `\n`.
    skipping: bool,
}

impl Splitter {
    pub(crate) fn new(max_line: usize) -> Self {
        Splitter {
            current: Vec::new(),
            max_line,
            skipping: false,
        }
    }

    /// Feeds bytes; `emit(line, truncated)` is called for every completed line. A line that
    /// lies whole in `bytes` is passed from there without a copy.
    pub(crate) fn push(&mut self, mut bytes: &[u8], mut emit: impl FnMut(&[u8], bool)) {
        while !bytes.is_empty() {
            let newline = bytes.iter().position(|&b| b == b'\n');
            let (chunk, rest, ends_line) = match newline {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            if !self.skipping {
                let room = self.max_line - self.current.len();
                if chunk.len() > room {
                    if self.current.is_empty() {
                        emit(&chunk[..room], true);
                    } else {
                        self.current.extend_from_slice(&chunk[..room]);
                        emit(&self.current, true);
                        self.current.clear();
                    }
                    self.skipping = true;
                } else if !ends_line {
                    self.current.extend_from_slice(chunk);
                } else if self.current.is_empty() {
                    emit(chunk, false);
                } else {
                    self.current.extend_from_slice(chunk);
                    emit(&self.current, false);
                    self.current.clear();
                }
            }
            if ends_line {
                self.skipping = false;
            }
            bytes = rest;
        }
    }

    /// Ends the current line where it is (its tail was lost): it is emitted as cut, unless it
    /// was already; the next bytes start a new line.
    pub(crate) fn cut(&mut self, mut emit: impl FnMut(&[u8], bool)) {
        if !self.skipping && !self.current.is_empty() {
            emit(&self.current, true);
            self.current.clear();
        }
        self.skipping = false;
    }

    /// The unterminated last line, if any.
    pub(crate) fn finish(&mut self) -> Option<(Vec<u8>, bool)> {
        (!self.current.is_empty()).then(|| (std::mem::take(&mut self.current), false))
    }
}

#[cfg(test)]
mod tests;
