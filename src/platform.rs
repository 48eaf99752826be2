//! `Gem::Platform` as RubyGems parses and matches it, and the platform
//! decisions Bundler makes at runtime: which locked variant of a gem is used
//! here, and whether the lockfile's PLATFORMS cover this machine.
//!
//! Two generations are followed line by line, quirks included, and told
//! apart by [`Rules`] only: RubyGems 3.3.15 with Bundler 2.3.15
//! (`x86_64-linux-gnu` is `x86_64-linux`; a `*-linux-musl` gem matches an
//! `x86_64-linux` machine because a missing version matches any version)
//! and RubyGems 3.6.7 with Bundler 2.6.7 (`-gnu`/`-musl` are kept as the
//! version, and a linux gem without one is a glibc gem). `tests/platform.rs`
//! checks every function against vectors recorded from the real
//! RubyGems/Bundler of each by `spec/scripts/platform_vectors.rb`.

use std::cmp::Ordering;
use std::fmt;

/// Which RubyGems' `Gem::Platform` (and the Bundler that comes with it) to
/// answer as: the one place where their versions are told apart. The
/// request carries the process's `Gem::VERSION` ([`Rules::for_rubygems`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Rules {
    /// RubyGems 3.3.15 / Bundler 2.3.15 (Debian 12): also any RubyGems
    /// before 3.5, and what a request without a version gets.
    #[default]
    RubyGems33,
    /// RubyGems 3.6.7 / Bundler 2.6.7 (Debian 13): RubyGems 3.5 and later.
    /// (The libc-aware `Gem::Platform` landed during 3.3/3.4, which are not
    /// tested; 3.5 is the line, as Bundler 2.5 is in `BundlerVersions`.)
    RubyGems36,
}

impl Rules {
    /// The rules of the RubyGems whose `Gem::VERSION` is `version`.
    pub fn for_rubygems(version: &str) -> Rules {
        let mut parts = version.trim().split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if (major, minor) >= (3, 5) {
            Rules::RubyGems36
        } else {
            Rules::RubyGems33
        }
    }

    fn modern(self) -> bool {
        self == Rules::RubyGems36
    }
}

/// A platform as `Gem::Platform.new(string)` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    /// `Gem::Platform::RUBY`: RubyGems keeps it as the String `"ruby"` (from
    /// `"ruby"` or `""`), which compares unequal to every Platform object.
    Ruby,
    Gem(GemPlatform),
}

/// A `Gem::Platform` object: `[cpu, os, version]`. `os` is never nil when
/// parsed from a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GemPlatform {
    pub cpu: Option<String>,
    pub os: String,
    pub version: Option<String>,
}

impl Platform {
    /// `Gem::Platform.new(s)`. `"current"` (Gem::Platform::CURRENT) stands for
    /// `Gem::Platform.local`, which only the caller knows: use
    /// [`Platform::parse_with_local`] where it can occur.
    pub fn parse(s: &str, rules: Rules) -> Platform {
        match s {
            "ruby" | "" => Platform::Ruby,
            _ => Platform::Gem(GemPlatform::parse(s, rules)),
        }
    }

    pub fn parse_with_local(s: &str, local: &Platform, rules: Rules) -> Platform {
        if s == "current" {
            local.clone()
        } else {
            Platform::parse(s, rules)
        }
    }

    pub fn is_ruby(&self) -> bool {
        matches!(self, Platform::Ruby)
    }

    pub fn gem(&self) -> Option<&GemPlatform> {
        match self {
            Platform::Ruby => None,
            Platform::Gem(g) => Some(g),
        }
    }

    /// `self === other` (Gem::Platform#===, or String#=== when self is ruby).
    pub fn matches(&self, other: &Platform, rules: Rules) -> bool {
        match (self, other) {
            (Platform::Ruby, other) => other.is_ruby(),
            (Platform::Gem(_), Platform::Ruby) => false,
            (Platform::Gem(a), Platform::Gem(b)) => a.matches(b, rules),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::Ruby => f.write_str("ruby"),
            Platform::Gem(g) => g.fmt(f),
        }
    }
}

impl fmt::Display for GemPlatform {
    /// `to_a.compact.join("-")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for part in [self.cpu.as_deref(), Some(self.os.as_str()), self.version.as_deref()].into_iter().flatten() {
            f.write_str(sep)?;
            f.write_str(part)?;
            sep = "-";
        }
        Ok(())
    }
}

impl GemPlatform {
    fn new(cpu: Option<&str>, os: &str, version: Option<&str>) -> GemPlatform {
        GemPlatform { cpu: cpu.map(str::to_owned), os: os.to_owned(), version: version.map(str::to_owned) }
    }

    /// `Gem::Platform#initialize(String)`.
    pub fn parse(s: &str, rules: Rules) -> GemPlatform {
        // `split("-")` drops trailing empty fields.
        let mut arch: Vec<&str> = s.split('-').collect();
        while arch.last() == Some(&"") {
            arch.pop();
        }
        // Reassemble `x86-linux-gnu`: a last field that is not a version
        // joins the one before it (3.3: one without a digit; 3.6: one with no
        // line ending in a digit, `/\d+(\.\d+)?$/`). Kept as one owned string
        // only in that case.
        let last_is_version = |l: &str| {
            if rules.modern() {
                any_line(l, |line| line.bytes().last().is_some_and(|b| b.is_ascii_digit()))
            } else {
                l.bytes().any(|b| b.is_ascii_digit())
            }
        };
        let joined;
        if arch.len() > 2 && !last_is_version(arch[arch.len() - 1]) {
            let n = arch.len();
            joined = format!("{}-{}", arch[n - 2], arch[n - 1]);
            arch.truncate(n - 2);
            arch.push(&joined);
        }
        let mut rest = arch.into_iter();
        let raw_cpu = rest.next();
        let mut cpu = raw_cpu.map(|c| if has_i_digit_86(c) { "x86" } else { c });
        let arch: Vec<&str> = rest.collect();

        if arch.len() == 2 && any_line(arch[1], is_version_number) {
            return GemPlatform::new(cpu, arch[0], Some(arch[1]));
        }
        // Legacy jruby: a single field is the os (the raw one, not `x86`).
        let os = match arch.first() {
            Some(&os) => Some(os),
            None => {
                cpu = None;
                raw_cpu
            }
        };
        let Some(os) = os else {
            return GemPlatform::new(cpu, "unknown", None);
        };
        let (os_name, version): (&str, Option<&str>) = if let Some(v) = word_then_digits(os, "aix") {
            ("aix", v)
        } else if os.contains("cygwin") {
            ("cygwin", None)
        } else if let Some(v) = word_then_digits(os, "darwin") {
            ("darwin", v)
        } else if any_line(os, |l| l == "macruby") {
            ("macruby", None)
        } else if let Some(v) = word_then_digits(os, "freebsd") {
            ("freebsd", v)
        } else if let Some(v) = word_then_digits(os, "hpux").filter(|_| !rules.modern()) {
            ("hpux", v)
        } else if any_line(os, |l| l == "java" || l == "jruby") {
            ("java", None)
        } else if let Some(v) = line_prefix_then(os, "java", is_digit_or_dot) {
            ("java", Some(v))
        } else if let Some(v) = any_line_then(os, "dalvik") {
            ("dalvik", v)
        } else if any_line(os, |l| l == "dotnet") {
            ("dotnet", None)
        } else if let Some(v) = line_prefix_then(os, "dotnet", is_digit_or_dot) {
            ("dotnet", Some(v))
        } else if let Some(at) = os.find("linux") {
            // 3.3: /linux-?((?!gnu)\w+)?/, 3.6: /linux-?(\w+)?/ (gnu is a version).
            let after = &os[at + 5..];
            let after = after.strip_prefix('-').unwrap_or(after);
            let word = &after[..prefix_len(after, is_word)];
            let gnu_dropped = !rules.modern() && after.starts_with("gnu");
            ("linux", if word.is_empty() || gnu_dropped { None } else { Some(word) })
        } else if os.contains("mingw32") {
            ("mingw32", None)
        } else if let Some(at) = os.find("mingw") {
            // /mingw-?(\w+)?/
            let after = &os[at + 5..];
            let after = after.strip_prefix('-').unwrap_or(after);
            let word = &after[..prefix_len(after, is_word)];
            ("mingw", if word.is_empty() { None } else { Some(word) })
        } else if let Some((name, version)) = mswin(os) {
            // `os =~ /32$/` tests the captured name, which holds no newline.
            if cpu.is_none() && name.ends_with("32") {
                cpu = Some("x86");
            }
            (name, version)
        } else if os.contains("netbsdelf") {
            ("netbsdelf", None)
        } else if let Some(v) = word_then_dotted(os, "openbsd") {
            ("openbsd", v)
        } else if let Some(v) = word_then_dotted(os, "bitrig").filter(|_| !rules.modern()) {
            ("bitrig", v)
        } else if let Some(v) = word_then_dotted(os, "solaris") {
            ("solaris", v)
        } else if rules.modern() && os.contains("wasi") {
            ("wasi", None)
        } else if let Some((name, version)) = test_platform(os) {
            (name, version)
        } else {
            ("unknown", None)
        };
        GemPlatform::new(cpu, os_name, version)
    }

    /// Gem::Platform#===: same cpu (or either nil/`universal`, or self `arm`
    /// and other `arm*`; 3.6: `armv*`), same os, same version (or either
    /// nil). 3.6 (self the gem's platform, other the machine's): universal
    /// mingw matches any mingw, and a linux version is the libc: none and
    /// `gnu` are one, a versionless gem also runs on `musl*`.
    pub fn matches(&self, other: &GemPlatform, rules: Rules) -> bool {
        let loose = |c: &Option<String>| matches!(c.as_deref(), None | Some("universal"));
        if rules.modern()
            && (loose_universal(self) || loose_universal(other))
            && self.os.starts_with("mingw")
            && other.os.starts_with("mingw")
        {
            return true;
        }
        let arm_family = if rules.modern() { "armv" } else { "arm" };
        let cpu = loose(&self.cpu)
            || loose(&other.cpu)
            || self.cpu == other.cpu
            || (self.cpu.as_deref() == Some("arm") && other.cpu.as_deref().is_some_and(|c| c.starts_with(arm_family)));
        cpu && self.os == other.os && self.version_matches(other, rules)
    }

    fn version_matches(&self, other: &GemPlatform, rules: Rules) -> bool {
        let (mine, theirs) = (self.version.as_deref(), other.version.as_deref());
        if !rules.modern() {
            return mine.is_none() || theirs.is_none() || mine == theirs;
        }
        if self.os != "linux" {
            return mine.is_none() || theirs.is_none() || mine == theirs;
        }
        let v = mine.unwrap_or("");
        let musl = [format!("musl{v}"), format!("musleabi{v}"), format!("musleabihf{v}")];
        normalized_linux_version(mine) == normalized_linux_version(theirs)
            || theirs.is_some_and(|t| musl.iter().any(|m| m == t))
            || mine == theirs
    }
}

fn loose_universal(p: &GemPlatform) -> bool {
    p.cpu.as_deref() == Some("universal")
}

/// RubyGems 3.6's `normalized_linux_version`: the version without a leading
/// `gnu` and a trailing `eabi`/`eabihf` (`\Z`: also before a final newline),
/// nil when nothing is left.
fn normalized_linux_version(version: Option<&str>) -> Option<String> {
    let v = version?;
    let v = v.strip_prefix("gnu").unwrap_or(v);
    let (body, newline) = match v.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (v, ""),
    };
    let body = body.strip_suffix("eabihf").or_else(|| body.strip_suffix("eabi"));
    let out = match body {
        Some(b) => format!("{b}{newline}"),
        None => v.to_owned(),
    };
    non_empty(&out).map(str::to_owned)
}

// ---- the few regular-expression shapes Gem::Platform uses, by hand --------

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_digit_or_dot(b: u8) -> bool {
    b.is_ascii_digit() || b == b'.'
}

fn prefix_len(s: &str, f: impl Fn(u8) -> bool) -> usize {
    s.bytes().take_while(|&b| f(b)).count()
}

fn digits(s: &str) -> &str {
    &s[..prefix_len(s, |b| b.is_ascii_digit())]
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `/i\d86/`.
fn has_i_digit_86(s: &str) -> bool {
    s.as_bytes().windows(4).any(|w| w[0] == b'i' && w[1].is_ascii_digit() && &w[2..] == b"86")
}

/// Ruby's `^`/`$` are line anchors: a pattern `^…$` holds if some line does.
fn any_line(s: &str, f: impl Fn(&str) -> bool) -> bool {
    s.split('\n').any(f)
}

/// `/^\d+(\.\d+)?$/` on one line.
fn is_version_number(l: &str) -> bool {
    let a = digits(l).len();
    if a == 0 {
        return false;
    }
    match l[a..].strip_prefix('.') {
        None => a == l.len(),
        Some(rest) => !rest.is_empty() && digits(rest).len() == rest.len(),
    }
}

/// `/word(\d+)?/`: `None` when `word` is absent, else the optional digits.
fn word_then_digits<'a>(s: &'a str, word: &str) -> Option<Option<&'a str>> {
    let at = s.find(word)?;
    Some(non_empty(digits(&s[at + word.len()..])))
}

/// `/word(\d+\.\d+)?/`.
fn word_then_dotted<'a>(s: &'a str, word: &str) -> Option<Option<&'a str>> {
    let at = s.find(word)?;
    let after = &s[at + word.len()..];
    let a = digits(after).len();
    let b = after[a..].strip_prefix('.').map_or(0, |r| digits(r).len());
    Some((a > 0 && b > 0).then(|| &after[..a + 1 + b]))
}

/// `/^prefix([class]*)/`: the capture (possibly empty) on the first line
/// that starts with `prefix`.
fn line_prefix_then<'a>(s: &'a str, prefix: &str, class: impl Fn(u8) -> bool) -> Option<&'a str> {
    s.split('\n').find_map(|l| l.strip_prefix(prefix).map(|r| &r[..prefix_len(r, &class)]))
}

/// `/^dalvik(\d+)?$/`.
fn any_line_then<'a>(s: &'a str, prefix: &str) -> Option<Option<&'a str>> {
    s.split('\n').find_map(|l| {
        let r = l.strip_prefix(prefix)?;
        (digits(r).len() == r.len()).then(|| non_empty(r))
    })
}

/// `/(mswin\d+)(\_(\d+))?/`: the leftmost `mswin` followed by a digit.
fn mswin(s: &str) -> Option<(&str, Option<&str>)> {
    let mut from = 0;
    while let Some(i) = s[from..].find("mswin") {
        let at = from + i;
        let n = digits(&s[at + 5..]).len();
        if n > 0 {
            let end = at + 5 + n;
            let version = s[end..].strip_prefix('_').and_then(|r| non_empty(digits(r)));
            return Some((&s[at..end], version));
        }
        from = at + 1;
    }
    None
}

/// `/^(\w+_platform)(\d+)?/` (RubyGems' test platforms): greedy `\w+`
/// backtracks to the last `_platform` inside the leading word run.
fn test_platform(s: &str) -> Option<(&str, Option<&str>)> {
    s.split('\n').find_map(|l| {
        let word = &l[..prefix_len(l, is_word)];
        let at = word.rmatch_indices("_platform").map(|(i, _)| i).find(|&i| i >= 1)?;
        let end = at + "_platform".len();
        Some((&l[..end], non_empty(digits(&l[end..]))))
    })
}

// ---- RubyGems' and Bundler's platform predicates --------------------------

/// `Gem::Platform.match_spec?` / `match_gem?` with `Gem.platforms ==
/// [RUBY, local]`: may a gem of this platform be used here at all? Passing
/// `local = Ruby` stands for `Gem.platforms == [RUBY]`. (3.3 asks
/// `local =~ spec`, 3.6 `spec =~ local`: `===` is not symmetric there.)
pub fn match_spec(spec: &Platform, local: &Platform, rules: Rules) -> bool {
    match (spec, local) {
        (Platform::Ruby, _) => true,
        (Platform::Gem(s), Platform::Gem(l)) if rules.modern() => l == s || s.matches(l, rules),
        (Platform::Gem(s), Platform::Gem(l)) => l == s || l.matches(s, rules),
        (Platform::Gem(_), Platform::Ruby) => false,
    }
}

/// `Bundler::GemHelpers.generic`: the Windows and Java families map to one
/// representative, everything else to `ruby`.
pub fn generic(p: &Platform, rules: Rules) -> Platform {
    let Platform::Gem(g) = p else { return Platform::Ruby };
    if rules.modern() {
        // Bundler 2.6: the first of [JAVA, *WINDOWS] that `p ===`.
        return ["java", "mswin32", "mswin64", "universal-mingw"]
            .into_iter()
            .map(|s| GemPlatform::parse(s, rules))
            .find(|m| g.matches(m, rules))
            .map_or(Platform::Ruby, Platform::Gem);
    }
    // (os, cpu the entry requires if any, cpu of the generic platform): the
    // generic platform has the same os and no version.
    const GENERICS: [(&str, Option<&str>, Option<&str>); 7] = [
        ("java", None, None),
        ("mswin32", Some("x86"), Some("x86")),
        ("mswin64", None, None),
        ("mingw32", Some("universal"), Some("universal")),
        ("mingw32", Some("x64"), Some("x64")),
        ("mingw32", Some("x86_64"), Some("x64")),
        ("mingw32", None, Some("x86")),
    ];
    for (os, cpu, generic_cpu) in GENERICS {
        if g.os == os && (cpu.is_none() || g.cpu.as_deref() == cpu) {
            return Platform::Gem(GemPlatform::new(generic_cpu, os, None));
        }
    }
    Platform::Ruby
}

/// `Bundler::MatchPlatform.platforms_match?(gemspec_platform, local_platform)`
/// (2.6 no longer tries the spec's generic platform).
pub fn platforms_match(spec: &Platform, local: &Platform, rules: Rules) -> bool {
    if spec.is_ruby() || spec == local {
        return true;
    }
    (!rules.modern() && generic(spec, rules).matches(local, rules)) || spec.matches(local, rules)
}

/// `Bundler::GemHelpers::PlatformMatch.specificity_score`: lower is closer.
pub fn specificity(spec: &Platform, user: &Platform) -> i32 {
    if spec == user {
        return -1;
    }
    let (Platform::Gem(s), Platform::Gem(u)) = (spec, user) else { return 1_000_000 };
    let os = i32::from(s.os != u.os);
    let cpu =
        if s.cpu == u.cpu || (s.cpu.as_deref() == Some("arm") && u.cpu.as_deref().unwrap_or("").starts_with("arm")) {
            0
        } else if matches!(s.cpu.as_deref(), None | Some("universal")) {
            1
        } else {
            2
        };
    let version = if s.version == u.version {
        0
    } else if s.version.is_none() {
        1
    } else {
        2
    };
    os + cpu * 10 + version * 100
}

/// `Bundler.local_platform`: `ruby` under `force_ruby_platform`, else
/// `Gem::Platform.local`.
pub fn bundler_local_platform(local: &Platform, force_ruby: bool) -> Platform {
    if force_ruby {
        Platform::Ruby
    } else {
        local.clone()
    }
}

// ---- Bundler 2.3.15's variant choice ---------------------------------------

/// `Bundler::GemHelpers.select_best_platform_match(specs, platform)` over
/// `specs` already in Bundler's order: the specs whose platform equals
/// `platform` if any, else the matching specs of the best (lowest)
/// specificity, cut at the first whose dependencies differ from the best
/// one's (`same_deps(i, j)` on indices into `specs`). Ties keep input order:
/// Ruby 3.1's `sort_by` sorts stably on glibc (measured), as does ours.
pub fn select_best_platform_match(
    specs: &[(usize, &Platform)],
    platform: &Platform,
    rules: Rules,
    same_deps: impl Fn(usize, usize) -> bool,
) -> Vec<usize> {
    let matching: Vec<(usize, &Platform)> =
        specs.iter().copied().filter(|(_, p)| platforms_match(p, platform, rules)).collect();
    let exact: Vec<usize> = matching.iter().filter(|(_, p)| *p == platform).map(|&(i, _)| i).collect();
    if !exact.is_empty() {
        return exact;
    }
    let mut sorted: Vec<(i32, usize)> = matching.iter().map(|&(i, p)| (specificity(p, platform), i)).collect();
    sorted.sort_by_key(|&(score, _)| score);
    let Some(&(best, first)) = sorted.first() else { return Vec::new() };
    sorted.iter().take_while(|&&(score, i)| score == best && same_deps(i, first)).map(|&(_, i)| i).collect()
}

/// The locked variants Bundler 2.3.15's runtime uses for one gem name:
/// `SpecSet#for(deps, false, true)` → `spec_for_dependency(dep, true)`, which
/// orders the locked specs of that name like `SpecSet#lookup` (newest
/// version first, then platform names descending, `ruby` last), keeps those
/// `Gem::Platform.match_spec?` allows, and picks with
/// [`select_best_platform_match`] against `Bundler.local_platform`.
///
/// `candidates` are `(version, platform)` as written in the lockfile (`ruby`
/// for none); `local` is `Gem::Platform.local`; `same_deps(i, j)` says
/// whether candidates `i` and `j` lock the same runtime dependencies.
/// Returns indices into `candidates`, in Bundler's order; Bundler
/// materializes every one of them (more than one only when variants tie,
/// e.g. `universal-darwin` here and both `x86_64-darwin` and `arm64-darwin`
/// locked). Empty when no variant fits this platform: Bundler then finds
/// the lockfile incomplete for it and re-resolves (frozen: refuses it).
pub fn select_best_variants(
    candidates: &[(&str, &str)],
    local: &Platform,
    force_ruby: bool,
    rules: Rules,
    same_deps: impl Fn(usize, usize) -> bool,
) -> Vec<usize> {
    let parsed: Vec<Platform> = candidates.iter().map(|(_, p)| Platform::parse(p, rules)).collect();
    let order = lookup_order(candidates, &parsed);
    let usable: Vec<(usize, &Platform)> =
        order.into_iter().filter(|&i| match_spec(&parsed[i], local, rules)).map(|i| (i, &parsed[i])).collect();
    select_best_platform_match(&usable, &bundler_local_platform(local, force_ruby), rules, same_deps)
}

/// [`select_best_variants`] when the variants lock the same dependencies
/// (the common case): the first chosen variant.
pub fn select_best_variant(
    candidates: &[(&str, &str)],
    local: &Platform,
    force_ruby: bool,
    rules: Rules,
) -> Option<usize> {
    select_best_variants(candidates, local, force_ruby, rules, |_, _| true).first().copied()
}

/// `SpecSet#lookup` order: `Index.sort_specs(specs).reverse_each`, i.e.
/// descending by `[version, platform]` with `ruby` below every platform name
/// and equal keys in reverse input order. Candidates with the same
/// identifier (`1.0-x86_64-linux-gnu` is `1.0-x86_64-linux`) are one spec to
/// Bundler's LockfileParser: the later line replaces the earlier in place.
fn lookup_order(candidates: &[(&str, &str)], parsed: &[Platform]) -> Vec<usize> {
    let keys: Vec<String> = parsed.iter().map(platform_key).collect();
    let ids: Vec<String> = candidates.iter().map(|(v, _)| v.trim().replace('-', ".pre.")).collect();
    let mut order: Vec<usize> = Vec::with_capacity(candidates.len());
    for i in 0..candidates.len() {
        match order.iter_mut().find(|j| ids[**j] == ids[i] && keys[**j] == keys[i]) {
            Some(j) => *j = i,
            None => order.push(i),
        }
    }
    order.sort_by(|&a, &b| compare_versions(candidates[a].0, candidates[b].0).then_with(|| keys[a].cmp(&keys[b])));
    order.reverse();
    order
}

/// The platform half of `Index.sort_specs`' key and of a spec identifier.
fn platform_key(p: &Platform) -> String {
    if p.is_ruby() {
        "\0".to_owned()
    } else {
        p.to_string()
    }
}

/// `Definition#most_specific_locked_platform`: the first PLATFORMS entry
/// with the lowest specificity against `Bundler.local_platform`.
pub fn most_specific_locked_platform(
    platforms: &[&str],
    local: &Platform,
    force_ruby: bool,
    rules: Rules,
) -> Option<Platform> {
    let user = bundler_local_platform(local, force_ruby);
    let mut best: Option<(i32, Platform)> = None;
    for p in platforms {
        let p = Platform::parse(p, rules);
        let score = specificity(&p, &user);
        if best.as_ref().map_or(true, |(b, _)| score < *b) {
            best = Some((score, p));
        }
    }
    best.map(|(_, p)| p)
}

/// `LazySpecification#ruby_platform_materializes_to_ruby_platform?`: true
/// when a locked spec materializes to the installed spec of exactly its
/// full name. False only when the most specific locked platform is `ruby`
/// (PLATFORMS lists nothing but `ruby`) and `force_ruby_platform` is off:
/// then Bundler searches the installed specs by name and version and takes
/// the best installed variant, see [`select_installed_variant`].
///
/// Bundler 2.6 compares with `java` instead of `ruby` on a Java machine.
pub fn materializes_by_full_name(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> bool {
    let generic_platform = match generic(&bundler_local_platform(local, force_ruby), rules) {
        Platform::Gem(g) if rules.modern() && g.os == "java" => Platform::Gem(g),
        _ => Platform::Ruby,
    };
    force_ruby || most_specific_locked_platform(platforms, local, force_ruby, rules) != Some(generic_platform)
}

/// `LazySpecification#__materialize__` searching by `Dependency.new(name,
/// version)`: among installed `(version, platform)` specs of the gem's name
/// (in Bundler's index order, i.e. the reverse of `Gem::Specification.stubs`
/// order, with specs missing built extensions already left out), those of
/// the locked version that `Gem::Platform.match_spec?` allows and that
/// `platforms_match?` the locked platform; the last after
/// `Index.sort_specs` wins: a platform gem beats the `ruby` one, and among
/// platform gems the greatest name (`x86_64-linux-musl` > `x86_64-linux`).
pub fn select_installed_variant(
    installed: &[(&str, &str)],
    locked_version: &str,
    locked_platform: &str,
    local: &Platform,
    rules: Rules,
) -> Option<usize> {
    let locked = Platform::parse(locked_platform, rules);
    let parsed: Vec<Platform> = installed.iter().map(|(_, p)| Platform::parse(p, rules)).collect();
    let mut found: Vec<usize> = (0..installed.len())
        .filter(|&i| compare_versions(installed[i].0, locked_version) == Ordering::Equal)
        .filter(|&i| match_spec(&parsed[i], local, rules) && platforms_match(&parsed[i], &locked, rules))
        .collect();
    found.sort_by(|&a, &b| {
        compare_versions(installed[a].0, installed[b].0)
            .then_with(|| platform_key(&parsed[a]).cmp(&platform_key(&parsed[b])))
    });
    found.last().copied()
}

// ---- the PLATFORMS check ----------------------------------------------------

/// `Definition#current_platform_locked?`: some PLATFORMS entry
/// `platforms_match?` `Bundler.local_platform`. This is what
/// `validate_platforms!` (run by `Bundler.setup`) requires; failing it
/// Bundler raises "Your bundle only supports platforms [...] but your local
/// platform is x86_64-linux. Add the current platform to the lockfile with
/// `bundle lock --add-platform x86_64-linux` and try again." A `ruby` entry
/// satisfies every machine, so does any non-Java, non-Windows entry under
/// `force_ruby_platform`.
///
/// Bundler 2.6: `current_platform_locked?` is an entry that equals the local
/// platform's generic one or that the local platform `===`, and `validate_platforms!`
/// also passes whenever `ruby` is listed.
pub fn lockfile_supports(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> bool {
    if rules.modern() {
        return current_platform_locked(platforms, local, force_ruby, rules)
            || platforms.iter().any(|p| Platform::parse(p, rules).is_ruby());
    }
    let user = bundler_local_platform(local, force_ruby);
    platforms.iter().any(|p| platforms_match(&Platform::parse(p, rules), &user, rules))
}

/// Bundler 2.6's `Definition#current_platform_locked?`.
fn current_platform_locked(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> bool {
    let user = bundler_local_platform(local, force_ruby);
    let generic_local = generic(&user, rules);
    platforms.iter().map(|p| Platform::parse(p, rules)).any(|p| generic_local == p || user.matches(&p, rules))
}

/// `Definition#current_ruby_platform_locked?`: the local platform is of the
/// generic `ruby` family (not Java, not `mswin`/`mingw32`) and
/// [`lockfile_supports`], and `force_ruby_platform` is off or `ruby` is listed.
///
/// Bundler 2.6 has no such method; there this is `current_platform_locked?`.
pub fn current_ruby_platform_locked(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> bool {
    if rules.modern() {
        return current_platform_locked(platforms, local, force_ruby, rules);
    }
    let user = bundler_local_platform(local, force_ruby);
    if !generic(&user, rules).is_ruby() {
        return false;
    }
    if force_ruby && !platforms.iter().any(|p| Platform::parse(p, rules).is_ruby()) {
        return false;
    }
    lockfile_supports(platforms, local, force_ruby, rules)
}

/// Whether Bundler, outside frozen mode, adds the local platform to
/// PLATFORMS (`Definition#initialize` → `add_current_platform`), which makes
/// it re-resolve and rewrite the lockfile: the platform is not
/// [`current_ruby_platform_locked`] and not listed exactly. fastbundle never
/// rewrites the lockfile, so this is the "run `bundle lock --add-platform`"
/// case; in frozen mode Bundler only applies [`lockfile_supports`].
pub fn adds_local_platform(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> bool {
    if current_ruby_platform_locked(platforms, local, force_ruby, rules) {
        return false;
    }
    let user = bundler_local_platform(local, force_ruby);
    !platforms.iter().any(|p| Platform::parse(p, rules) == user)
}

/// Bundler's `validate_platforms!` message, word for word (the platform list
/// is Ruby's `Array#inspect` of the normalised names).
pub fn unsupported_platform_message(platforms: &[&str], local: &Platform, force_ruby: bool, rules: Rules) -> String {
    let user = bundler_local_platform(local, force_ruby);
    let mut list = String::from("[");
    for (i, p) in platforms.iter().enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        list.push('"');
        for c in Platform::parse(p, rules).to_string().chars() {
            if c == '"' || c == '\\' {
                list.push('\\');
            }
            list.push(c);
        }
        list.push('"');
    }
    list.push(']');
    format!(
        "Your bundle only supports platforms {list} but your local platform is {user}. \
         Add the current platform to the lockfile with\n`bundle lock --add-platform {user}` and try again."
    )
}

// ---- Gem::Version#<=> --------------------------------------------------------

#[derive(PartialEq, Eq, Clone, Copy)]
enum Segment<'a> {
    /// Digits without leading zeros (compared by length, then text).
    Num(&'a str),
    Str(&'a str),
}

fn segments(v: &str) -> Vec<Segment<'_>> {
    // `gsub("-", ".pre.")` only inserts a `pre` segment before what follows.
    let mut out = Vec::new();
    let v = v.trim();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            out.push(Segment::Str("pre"));
            i += 1;
        } else if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let s = v[start..i].trim_start_matches('0');
            out.push(Segment::Num(s));
        } else if b[i].is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Segment::Str(&v[start..i]));
        } else {
            i += 1;
        }
    }
    out
}

/// `canonical_segments`: trailing zeros dropped from the numeric part and
/// from the part starting at the first string segment.
fn canonical(v: &str) -> Vec<Segment<'_>> {
    let mut segs = segments(v);
    let split = segs.iter().position(|s| matches!(s, Segment::Str(_))).unwrap_or(segs.len());
    let mut tail = segs.split_off(split);
    while tail.last() == Some(&Segment::Num("")) {
        tail.pop();
    }
    while segs.last() == Some(&Segment::Num("")) {
        segs.pop();
    }
    segs.extend(tail);
    segs
}

/// `Gem::Version#<=>` for two valid version strings.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (l, r) = (canonical(a), canonical(b));
    let n = l.len().max(r.len());
    for i in 0..n {
        let x = l.get(i).copied().unwrap_or(Segment::Num(""));
        let y = r.get(i).copied().unwrap_or(Segment::Num(""));
        if x == y {
            continue;
        }
        return match (x, y) {
            (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
            (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
            (Segment::Num(x), Segment::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
            (Segment::Str(x), Segment::Str(y)) => x.cmp(y),
        };
    }
    Ordering::Equal
}
