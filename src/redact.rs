//! Credentials in source URLs (`https://user:secret@gems.example.com`) must
//! never reach a message, a log line or an `inspect`. This mirrors Bundler's
//! URICredentialsFilter: the password goes, the user stays, and a password of
//! `x-oauth-basic`/`x` (GitHub tokens given as the user) takes the user's place.

use std::borrow::Cow;

/// Redacts the password of every `scheme://user:password@` in `text`.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace.
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, password)) => {
                        changed = true;
                        if password == "x-oauth-basic" || password == "x" {
                            out.push_str(password);
                        } else {
                            out.push_str(user);
                        }
                        out.push_str(&authority[at..]);
                    }
                    None => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn drops_passwords_keeps_users() {
        assert_eq!(redact("https://user:secret@gems.example.com/x"), "https://user@gems.example.com/x");
        assert_eq!(redact("remote: https://u:p@a.io and http://v:q@b.io/"), "remote: https://u@a.io and http://v@b.io/");
        assert_eq!(redact("https://TOKEN:x-oauth-basic@github.com/a/b"), "https://x-oauth-basic@github.com/a/b");
        assert_eq!(redact("https://user@host/"), "https://user@host/");
        assert_eq!(redact("git@github.com:rails/rails.git"), "git@github.com:rails/rails.git");
        assert_eq!(redact("https://a:b:c@h"), "https://a@h");
        assert_eq!(redact("://"), "://");
        assert_eq!(redact("x://:@"), "x://@");
    }
}
