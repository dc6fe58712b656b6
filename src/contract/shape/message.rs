//! Messages for the rules checked when the code is built (const assertions), with the numbers
//! in them: `reshape 4×6 → 5×5: 24 entries in, 25 out`.
//!
//! `assert!` in a const can only print a fixed string, so these messages are assembled at
//! compile time in a fixed buffer and handed to `panic!("{}", …)`, which const evaluation
//! accepts for a `&str`. [`fail`] is `#[track_caller]`, so the compiler's message points at
//! the rule's line (not at the standard library's `panic.rs`), and its note at the caller's.

/// A message assembled at compile time: text and numbers, up to [`Message::CAPACITY`] bytes
/// (a piece that does not fit is left out whole, so the text stays valid UTF-8).
pub(crate) struct Message {
    bytes: [u8; Message::CAPACITY],
    len: usize,
}

impl Message {
    const CAPACITY: usize = 400;

    /// A message starting with `text`.
    pub(crate) const fn new(text: &str) -> Self {
        Message {
            bytes: [0; Message::CAPACITY],
            len: 0,
        }
        .text(text)
    }

    /// Appends `text`.
    pub(crate) const fn text(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        if self.len + text.len() <= Message::CAPACITY {
            let mut i = 0;
            while i < text.len() {
                self.bytes[self.len + i] = text[i];
                i += 1;
            }
            self.len += text.len();
        }
        self
    }

    /// Appends `n` in decimal.
    pub(crate) const fn number(mut self, n: usize) -> Self {
        let mut digits = [0u8; 20];
        let (mut count, mut rest) = (0, n);
        loop {
            digits[count] = b'0' + (rest % 10) as u8;
            count += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if self.len + count <= Message::CAPACITY {
            while count > 0 {
                count -= 1;
                self.bytes[self.len] = digits[count];
                self.len += 1;
            }
        }
        self
    }

    /// Appends the shape `rows×columns`.
    pub(crate) const fn shape(self, rows: usize, columns: usize) -> Self {
        self.number(rows).text("×").number(columns)
    }

    const fn as_str(&self) -> &str {
        let (written, _) = self.bytes.split_at(self.len);
        match std::str::from_utf8(written) {
            Ok(text) => text,
            Err(_) => "shapegrad: a rule checked when the code is built failed",
        }
    }
}

/// Stops const evaluation with `message`: a compile error that leads with it.
#[track_caller]
pub(crate) const fn fail(message: Message) -> ! {
    panic!("{}", message.as_str())
}

#[cfg(test)]
mod tests {
    use super::Message;

    #[test]
    fn text_numbers_and_shapes() {
        const M: Message = Message::new("reshape ")
            .shape(4, 6)
            .text(" → ")
            .shape(5, 5)
            .text(": ")
            .number(24)
            .text(" entries in, ")
            .number(0)
            .text(" out");
        assert_eq!(M.as_str(), "reshape 4×6 → 5×5: 24 entries in, 0 out");
        assert_eq!(
            Message::new("").number(usize::MAX).as_str(),
            usize::MAX.to_string()
        );
    }

    #[test]
    fn a_piece_that_does_not_fit_is_left_out_whole() {
        let long = "é".repeat(Message::CAPACITY / 2);
        let m = Message::new("ab").text(&long).text("cd");
        assert_eq!(m.as_str(), "abcd");
    }
}
