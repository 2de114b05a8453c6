//! Punycode (RFC 3492), the encoding of Unicode domain labels as ASCII.
//!
//! These are the bare algorithms: the `xn--` prefix is handled by
//! [`DomainName`](super::DomainName).
//!
//! ```
//! use rivetr_core::input::punycode;
//!
//! assert_eq!(punycode::encode("bücher").as_deref(), Some("bcher-kva"));
//! assert_eq!(punycode::decode("bcher-kva").as_deref(), Some("bücher"));
//! assert_eq!(punycode::decode("99999999999"), None); // overflows
//! ```

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// Bias adaptation (RFC 3492, section 6.1).
fn adapt(delta: u32, num_points: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (((BASE - T_MIN + 1) * delta) / (delta + SKEW))
}

/// The threshold for digit position `k`.
fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        T_MIN
    } else if k >= bias + T_MAX {
        T_MAX
    } else {
        k - bias
    }
}

/// Digit values 0-35 as RFC 3492 writes them: a-z, then 0-9.
const DIGITS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn encode_digit(d: u32) -> Option<char> {
    let i = usize::try_from(d).ok()?;
    DIGITS.get(i).map(|&b| char::from(b))
}

fn decode_digit(c: char) -> Option<u32> {
    match c {
        'a'..='z' => Some(u32::from(c) - u32::from('a')),
        'A'..='Z' => Some(u32::from(c) - u32::from('A')),
        '0'..='9' => Some(u32::from(c) - u32::from('0') + 26),
        _ => None,
    }
}

/// Encodes `input` as punycode (without `xn--`). Basic (ASCII) characters are
/// copied as they are. `None` only if the input is too long to encode.
#[must_use]
#[allow(clippy::many_single_char_names)] // the names of the RFC's pseudocode
pub fn encode(input: &str) -> Option<String> {
    let chars: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(out.len()).ok()?;
    let total = u32::try_from(chars.len()).ok()?;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (INITIAL_N, 0u32, INITIAL_BIAS, basic);
    while handled < total {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    out.push(encode_digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(encode_digit(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// Decodes punycode (without `xn--`). `None` if it is not valid punycode:
/// a non-ASCII character, a bad digit, a truncated number, an overflow, or a
/// result that is not a Unicode scalar value.
#[must_use]
#[allow(clippy::many_single_char_names)] // the names of the RFC's pseudocode
pub fn decode(input: &str) -> Option<String> {
    if !input.is_ascii() {
        return None;
    }
    let (basic, extended) = match input.rfind('-') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut digits = extended.chars();
    while digits.as_str().chars().next().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let digit = decode_digit(digits.next()?)?;
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = threshold(k, bias);
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = u32::try_from(out.len()).ok()? + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        let c = char::from_u32(n)?;
        out.insert(usize::try_from(i).ok()?, c);
        i += 1;
    }
    Some(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples from RFC 3492, section 7.1, and well-known domains.
    const SAMPLES: &[(&str, &str)] = &[
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
        ("пример", "e1afmkfd"),
        ("例え", "r8jz45g"),
        ("ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
        ("pаypal", "pypal-4ve"),
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
        ("abc", "abc-"),
        ("", ""),
    ];

    #[test]
    fn encodes_and_decodes_known_samples() {
        for &(unicode, puny) in SAMPLES {
            assert_eq!(encode(unicode).as_deref(), Some(puny), "{unicode}");
            assert_eq!(decode(puny).as_deref(), Some(unicode), "{puny}");
        }
    }

    #[test]
    fn refuses_invalid_input() {
        assert_eq!(decode("ü"), None); // not ASCII
        assert_eq!(decode("a-b!"), None); // bad digit
        assert_eq!(decode("kva9"), None); // truncated number
        assert_eq!(decode("zzzzzzzzzzzz"), None); // overflow
        assert_eq!(decode("a-8"), None); // truncated number after the basic part
    }
}
