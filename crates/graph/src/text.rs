//! Text measured without a font: the width estimates the layout sizes boxes by, truncation,
//! and the escaping each output format needs.

/// Approximate advance of one character of the state-name font (13px sans-serif), in pixels.
/// Generous on purpose: a box a little too wide reads better than a name that overflows.
pub(crate) const NAME_CHAR: f64 = 7.6;
/// Advance of one character of the label font (11px monospace: 0.6em).
pub(crate) const LABEL_CHAR: f64 = 6.6;

/// Width of `s` where an ASCII character advances `per_char` and a wide (CJK, emoji)
/// character about twice that.
pub(crate) fn width(s: &str, per_char: f64) -> f64 {
    s.chars()
        .map(|c| if is_wide(c) { per_char * 1.9 } else { per_char })
        .sum()
}

fn is_wide(c: char) -> bool {
    let c = c as u32;
    (0x1100..=0x115F).contains(&c)
        || (0x2E80..=0xA4CF).contains(&c)
        || (0xAC00..=0xD7A3).contains(&c)
        || (0xF900..=0xFAFF).contains(&c)
        || (0xFE30..=0xFE4F).contains(&c)
        || (0xFF00..=0xFF60).contains(&c)
        || (0x1F300..=0x1FAFF).contains(&c)
        || (0x20000..=0x3FFFD).contains(&c)
}

/// `s` cut to at most `max` pixels wide, ending in `…` when cut.
pub(crate) fn truncate(s: &str, max: f64, per_char: f64) -> String {
    if width(s, per_char) <= max + 0.01 {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = per_char; // room for the ellipsis
    for c in s.chars() {
        let w = if is_wide(c) { per_char * 1.9 } else { per_char };
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Text for XML character data and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate as written into SVG: one decimal at most, no `-0`.
pub(crate) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 100.0, 10.0), "abcdef");
        assert_eq!(truncate("abcdefghijkl", 60.0, 10.0), "abcde…");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.01), "0");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(xml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
