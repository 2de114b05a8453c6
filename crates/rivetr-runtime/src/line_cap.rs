//! Reading output line by line with a cap on each line's length, so a
//! program printing gigabytes without a newline cannot exhaust memory.

/// Take what `available` holds of the current line into `line`, keeping at
/// most `max` bytes of it (`cut` turns true once bytes were dropped).
/// Returns how many bytes of `available` were used and whether the line
/// ended (a newline was found and consumed).
pub(crate) fn take_line_chunk(
    available: &[u8],
    line: &mut Vec<u8>,
    cut: &mut bool,
    max: usize,
) -> (usize, bool) {
    let newline = available.iter().position(|b| *b == b'\n');
    let (content, used) = match newline {
        Some(end) => (&available[..end], end + 1),
        None => (available, available.len()),
    };
    if !*cut {
        let room = max.saturating_sub(line.len());
        if content.len() > room {
            line.extend_from_slice(&content[..room]);
            *cut = true;
        } else {
            line.extend_from_slice(&available[..used]);
        }
    }
    (used, newline.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_short_lines_whole_and_cuts_long_ones() {
        let (mut line, mut cut) = (Vec::new(), false);
        assert_eq!(
            take_line_chunk(b"abc\ndef", &mut line, &mut cut, 8),
            (4, true)
        );
        assert_eq!((line.as_slice(), cut), (&b"abc\n"[..], false));

        let (mut line, mut cut) = (Vec::new(), false);
        assert_eq!(
            take_line_chunk(b"0123456789", &mut line, &mut cut, 4),
            (10, false)
        );
        assert_eq!(
            take_line_chunk(b"abc\nnext", &mut line, &mut cut, 4),
            (4, true)
        );
        assert_eq!((line.as_slice(), cut), (&b"0123"[..], true));
    }
}
