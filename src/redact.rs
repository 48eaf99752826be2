//! Credentials in URLs must never reach a message, a log line, an
//! `inspect` or a file fastbundle writes.
//!
//! The rule: the userinfo of every `scheme://userinfo@host` is replaced by
//! `***`, whatever it holds. Bundler's URICredentialsFilter drops only the
//! password and keeps the user, which leaks every credential that is the
//! user: Gemfury's `https://TOKEN@gem.fury.io/acme/`, GitHub's
//! `https://TOKEN@github.com/...` and `https://TOKEN:x-oauth-basic@...`,
//! GitLab's `https://oauth2:TOKEN@...` (there the token is the password).
//! Telling a token from a user name by its look cannot be done reliably, so
//! no userinfo is shown. One exception: a bare user name in an `ssh://`
//! URL (`ssh://git@github.com/...`), where authentication is by key and the
//! user is an account name (`git`), stays. scp-style remotes
//! (`git@github.com:org/repo.git`) have no `://` and are left alone: they
//! cannot carry a password.
//!
//! `***` is itself a valid userinfo, so a redacted URL still parses as one,
//! and redacting twice changes nothing. The Ruby side applies the same rule
//! (`FastBundle::Definition::CredentialFilter`); Bundler's filtered form
//! (`https://user@host`) redacts to the same string as the original.
//!
//! Settings hold credentials too (`BUNDLE_GEMS__EXAMPLE__COM=user:pass`,
//! mirror URLs): [`is_credential_setting`] says which keys, so that their
//! values are never shown.

use std::borrow::Cow;

/// What a hidden userinfo is shown as.
pub const HIDDEN: &str = "***";

/// Schemes whose bare user name (no `:`) is an account name, not a secret.
const SSH_SCHEMES: [&str; 3] = ["ssh", "git+ssh", "ssh+git"];

/// Replaces the userinfo of every `scheme://userinfo@` in `text` by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace; its
        // userinfo at the last '@' before that (an unescaped '@' in a
        // password must not leave the password's tail behind).
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if hides(&head[..pos], &authority[..at]) => {
                changed = true;
                out.push_str(HIDDEN);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Whether the userinfo of a URL whose text before `://` is `before` must
/// be hidden.
fn hides(before: &str, userinfo: &str) -> bool {
    if userinfo.is_empty() || userinfo == HIDDEN {
        return false;
    }
    !(is_ssh_scheme(before) && !userinfo.contains(':'))
}

/// The scheme is the run of scheme characters just before `://`, starting
/// with a letter (as `[A-Za-z][A-Za-z0-9+.-]*` finds it).
fn is_ssh_scheme(before: &str) -> bool {
    let bytes = before.as_bytes();
    let mut start = bytes.len();
    while start > 0 && matches!(bytes[start - 1], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'.' | b'-') {
        start -= 1;
    }
    let run = &before[start..];
    let scheme = run.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    SSH_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
}

/// Does this setting (`BUNDLE_*` key, as in the environment or a config
/// file) hold a credential or a URL that may carry one? Bundler reads
/// credentials from keys named by a host or URL (`BUNDLE_GEMS__EXAMPLE__COM`,
/// `BUNDLE_HTTPS://GEMS__EXAMPLE__COM/`), mirrors from `BUNDLE_MIRROR__…`,
/// and the push key from `BUNDLE_GEM__PUSH_KEY`. Any key that is not one of
/// Bundler's own setting names counts, so an unknown key is never shown.
pub fn is_credential_setting(key: &str) -> bool {
    let Some(name) = key.strip_prefix("BUNDLE_") else { return true };
    if name.starts_with("MIRROR__") || name == "GEM__PUSH_KEY" {
        return true;
    }
    !KNOWN_SETTINGS.contains(&name)
}

/// A setting's value as it may be shown.
pub fn setting_for_display<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_credential_setting(key) {
        Cow::Borrowed("[REDACTED]")
    } else {
        redact(value)
    }
}

/// Bundler 2.3–2.6's setting names, as `BUNDLE_` keys without the prefix.
const KNOWN_SETTINGS: &[&str] = &[
    "ALLOW_DEPLOYMENT_SOURCE_CREDENTIAL_CHANGES",
    "ALLOW_OFFLINE_INSTALL",
    "APP_CONFIG",
    "AUTO_CLEAN_WITHOUT_PATH",
    "AUTO_INSTALL",
    "BIN",
    "BIN_PATH",
    "CACHE_ALL",
    "CACHE_ALL_PLATFORMS",
    "CACHE_PATH",
    "CLEAN",
    "CONFIG",
    "CONSOLE",
    "DEFAULT_INSTALL_USES_PATH",
    "DEPLOYMENT",
    "DISABLE_CHECKSUM_VALIDATION",
    "DISABLE_EXEC_LOAD",
    "DISABLE_LOCAL_BRANCH_CHECK",
    "DISABLE_LOCAL_REVISION_CHECK",
    "DISABLE_MULTISOURCE",
    "DISABLE_PLATFORM_WARNINGS",
    "DISABLE_SHARED_GEMS",
    "DISABLE_VERSION_CHECK",
    "FORCE_RUBY_PLATFORM",
    "FORGET_CLI_OPTIONS",
    "FROZEN",
    "GEMFILE",
    "GEM__CHANGELOG",
    "GEM__CI",
    "GEM__COC",
    "GEM__LINTER",
    "GEM__MIT",
    "GEM__RUBOCOP",
    "GEM__TEST",
    "GIT__ALLOW_INSECURE",
    "GLOBAL_GEM_CACHE",
    "IGNORE_CONFIG",
    "IGNORE_FUNDING_REQUESTS",
    "IGNORE_MESSAGES",
    "INIT_GEMS_RB",
    "INLINE",
    "JOBS",
    "LOCKFILE",
    "LOCKFILE_CHECKSUMS",
    "NO_INSTALL",
    "NO_PRUNE",
    "ONLY",
    "OPTIONAL_GROUPS",
    "PATH",
    "PATH_RELATIVE_TO_CWD",
    "PATH__SYSTEM",
    "PLUGINS",
    "PREFER_PATCH",
    "PRINT_ONLY_VERSION_NUMBER",
    "REDIRECT",
    "RETRY",
    "SETUP_MAKES_KERNEL_GEM_PUBLIC",
    "SHEBANG",
    "SILENCE_DEPRECATIONS",
    "SILENCE_ROOT_WARNING",
    "SSL_CA_CERT",
    "SSL_CLIENT_CERT",
    "SSL_VERIFY_MODE",
    "SUPPRESS_INSTALL_USING_MESSAGES",
    "SYSTEM_BINDIR",
    "TIMEOUT",
    "UPDATE_REQUIRES_ALL_FLAG",
    "USER_AGENT",
    "USER_CACHE",
    "USER_CONFIG",
    "USER_HOME",
    "USE_GEM_VERSION_PROMOTER_FOR_MAJOR_UPDATES",
    "VERSION",
    "WITH",
    "WITHOUT",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_every_userinfo() {
        assert_eq!(redact("https://user:secret@gems.example.com/x"), "https://***@gems.example.com/x");
        assert_eq!(redact("remote: https://u:p@a.io and http://v:q@b.io/"), "remote: https://***@a.io and http://***@b.io/");
        // Bundler shows these tokens; fastbundle does not.
        assert_eq!(redact("https://TOKEN@gem.fury.io/acme/"), "https://***@gem.fury.io/acme/");
        assert_eq!(redact("https://TOKEN:x-oauth-basic@github.com/a/b"), "https://***@github.com/a/b");
        assert_eq!(redact("https://oauth2:glpat-TOKEN@gitlab.com/a.git"), "https://***@gitlab.com/a.git");
        assert_eq!(redact("https://u:p@ss@host/x"), "https://***@host/x");
        assert_eq!(redact("https://a:b:c@h"), "https://***@h");
        assert_eq!(redact("x://:@"), "x://***@");
    }

    #[test]
    fn leaves_what_holds_no_secret() {
        assert_eq!(redact("git@github.com:rails/rails.git"), "git@github.com:rails/rails.git");
        assert_eq!(redact("ssh://git@github.com/rails/rails.git"), "ssh://git@github.com/rails/rails.git");
        assert_eq!(redact("GIT+SSH://deploy@host/x"), "GIT+SSH://deploy@host/x");
        assert_eq!(redact("ssh://git:pw@host/x"), "ssh://***@host/x");
        assert_eq!(redact("https://host/a@b"), "https://host/a@b");
        assert_eq!(redact("https://@host/"), "https://@host/");
        assert_eq!(redact("://"), "://");
        assert!(matches!(redact("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn is_idempotent_and_agrees_with_bundlers_filtered_form() {
        for raw in ["https://user:secret@h/", "https://TOKEN@h/", "https://t:x-oauth-basic@h/", "a https://x@y b"] {
            let once = redact(raw).into_owned();
            assert_eq!(redact(&once), once);
        }
        // Bundler's filter leaves `user@`; that redacts to the same string.
        assert_eq!(redact("https://user@h/"), redact("https://user:secret@h/"));
        assert_eq!(redact("https://x-oauth-basic@h/"), redact("https://TOKEN:x-oauth-basic@h/"));
    }

    #[test]
    fn credential_settings() {
        assert!(is_credential_setting("BUNDLE_GEMS__EXAMPLE__COM"));
        assert!(is_credential_setting("BUNDLE_HTTPS://GEMS__EXAMPLE__COM/"));
        assert!(is_credential_setting("BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/"));
        assert!(is_credential_setting("BUNDLE_GEM__PUSH_KEY"));
        assert!(is_credential_setting("BUNDLE_LOCALHOST"));
        assert!(!is_credential_setting("BUNDLE_PATH"));
        assert!(!is_credential_setting("BUNDLE_WITHOUT"));
        assert!(!is_credential_setting("BUNDLE_PATH__SYSTEM"));
        assert_eq!(setting_for_display("BUNDLE_GITHUB__COM", "x-access-token:ghs_1"), "[REDACTED]");
        assert_eq!(setting_for_display("BUNDLE_PATH", "vendor/bundle"), "vendor/bundle");
    }
}
