//! RubyGems' version and requirement grammars (Gem::Version::VERSION_PATTERN,
//! Gem::Requirement::PATTERN), checked without a regex engine. A lockfile
//! string that RubyGems would reject makes Bundler report the lockfile as
//! unreadable; we reject the same strings, with the line.

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_space(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, whole.
fn is_version_body(s: &[u8]) -> bool {
    let mut i = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if i == 0 {
        return false;
    }
    let seg = |from: usize, dash: bool| {
        s[from..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || (dash && b == b'-')).count()
    };
    while i < s.len() && s[i] == b'.' {
        let n = seg(i + 1, false);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if i < s.len() && s[i] == b'-' {
        let n = seg(i + 1, true);
        if n == 0 {
            return false;
        }
        i += 1 + n;
        while i < s.len() && s[i] == b'.' {
            let n = seg(i + 1, true);
            if n == 0 {
                return false;
            }
            i += 1 + n;
        }
    }
    i == s.len()
}

/// Gem::Version.correct?: blank, or a version with optional surrounding space.
pub fn is_correct(s: &str) -> bool {
    let t = trim(s.as_bytes());
    t.is_empty() || is_version_body(t)
}

/// One requirement such as `>= 1.2`, `~> 3.0.0.rc1` or a bare `1.0`.
pub fn is_requirement(s: &str) -> bool {
    let mut t = trim(s.as_bytes());
    for op in [&b">="[..], b"<=", b"~>", b"!=", b"=", b">", b"<"] {
        if let Some(rest) = t.strip_prefix(op) {
            t = trim(rest);
            break;
        }
    }
    is_version_body(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1", "1.0", " 1.2.3 ", "7.1.0.beta1", "1.0-rc1", "1.0.a-b.c", "", "  ", "0.0.0.20240101"] {
            assert!(is_correct(ok), "{ok:?}");
        }
        for bad in ["a", "1.", "1..2", "1.0-", "1.0 2", "v1", "1.0)", "-1"] {
            assert!(!is_correct(bad), "{bad:?}");
        }
    }

    #[test]
    fn requirements() {
        for ok in [">= 0", "~> 1.0", "= 1.2.3", "1.0", "!= 2", "<3", " >= 1.0.rc ", "> 1"] {
            assert!(is_requirement(ok), "{ok:?}");
        }
        for bad in ["", ">=", "=> 1", "~ 1", ">= a", "1 2", ">>= 1"] {
            assert!(!is_requirement(bad), "{bad:?}");
        }
    }
}
