//! src/platform.rs against what the real RubyGems 3.3.15 / Bundler 2.3.15
//! (tests/data/platform_vectors.json, Debian 12) and RubyGems 3.6.7 /
//! Bundler 2.6.7 (tests/data/platform_vectors_rubygems36.json, Debian 13)
//! answered, recorded by spec/scripts/platform_vectors.rb
//! (spec/platform_vectors_spec.rb checks, in each environment, that its
//! file is still exactly that script's output). Each file is replayed with
//! the [`Rules`] of the RubyGems that recorded it.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use fastbundle_core::platform::{
    adds_local_platform, compare_versions, current_ruby_platform_locked, generic, lockfile_supports, match_spec,
    materializes_by_full_name, most_specific_locked_platform, platforms_match, select_best_variant,
    select_best_variants, select_installed_variant, specificity, unsupported_platform_message, Platform, Rules,
};

// ---- a small JSON reader (the core crate has no dependencies) ---------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut p = JsonParser { b: text.as_bytes(), i: 0 };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.b.len(), "trailing data in JSON");
        v
    }
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m.get(key).unwrap_or(&Json::Null),
            _ => panic!("not an object: {self:?}"),
        }
    }
    fn has(&self, key: &str) -> bool {
        matches!(self, Json::Obj(m) if m.contains_key(key))
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => panic!("not an array: {self:?}"),
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("not a string: {self:?}"),
        }
    }
    fn opt_str(&self) -> Option<&str> {
        match self {
            Json::Null => None,
            other => Some(other.str()),
        }
    }
    fn bool(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            _ => panic!("not a bool: {self:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Json::Num(n) => *n as i64,
            _ => panic!("not a number: {self:?}"),
        }
    }
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(self.b[self.i], c, "expected {} at {}", c as char, self.i);
        self.i += 1;
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.b[self.i] {
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.b[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.value() else { panic!("object key") };
                    self.eat(b':');
                    let v = self.value();
                    m.insert(k, v);
                    self.ws();
                    self.i += 1;
                    if self.b[self.i - 1] == b'}' {
                        return Json::Obj(m);
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    self.i += 1;
                    if self.b[self.i - 1] == b']' {
                        return Json::Arr(a);
                    }
                }
            }
            b'"' => {
                self.i += 1;
                let mut s = String::new();
                loop {
                    let c = self.b[self.i];
                    self.i += 1;
                    match c {
                        b'"' => return Json::Str(s),
                        b'\\' => {
                            let e = self.b[self.i];
                            self.i += 1;
                            match e {
                                b'n' => s.push('\n'),
                                b't' => s.push('\t'),
                                b'r' => s.push('\r'),
                                b'b' => s.push('\u{8}'),
                                b'f' => s.push('\u{c}'),
                                b'u' => {
                                    let hex = std::str::from_utf8(&self.b[self.i..self.i + 4]).unwrap();
                                    self.i += 4;
                                    s.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap_or('\u{fffd}'));
                                }
                                other => s.push(other as char),
                            }
                        }
                        _ => {
                            // Copy a whole UTF-8 sequence.
                            let start = self.i - 1;
                            let len = match c {
                                0..=0x7f => 1,
                                0xc0..=0xdf => 2,
                                0xe0..=0xef => 3,
                                _ => 4,
                            };
                            self.i = start + len;
                            s.push_str(std::str::from_utf8(&self.b[start..self.i]).unwrap());
                        }
                    }
                }
            }
            b't' => {
                self.i += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.i += 5;
                Json::Bool(false)
            }
            b'n' => {
                self.i += 4;
                Json::Null
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len() && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.i += 1;
                }
                Json::Num(std::str::from_utf8(&self.b[start..self.i]).unwrap().parse().unwrap())
            }
        }
    }
}

const VECTOR_FILES: [&str; 2] = ["platform_vectors.json", "platform_vectors_rubygems36.json"];

/// Every vector file with the rules of the RubyGems that recorded it.
fn all_vectors() -> &'static [(Json, Rules)] {
    use std::sync::OnceLock;
    static V: OnceLock<Vec<(Json, Rules)>> = OnceLock::new();
    V.get_or_init(|| {
        VECTOR_FILES
            .iter()
            .map(|f| {
                let path = format!("{}/tests/data/{f}", env!("CARGO_MANIFEST_DIR"));
                let v = Json::parse(&std::fs::read_to_string(&path).expect(f));
                let rules = Rules::for_rubygems(v.get("rubygems").str());
                (v, rules)
            })
            .collect()
    })
}

/// Runs `f` on each file's vectors, and asserts over all of them.
fn check_all(what: &str, f: impl Fn(&Json, Rules, &mut Vec<String>) -> usize) {
    let mut failures = Vec::new();
    let mut total = 0;
    for (v, rules) in all_vectors() {
        let mut mine = Vec::new();
        total += f(v, *rules, &mut mine);
        failures.extend(mine.into_iter().map(|m| format!("[RubyGems {}] {m}", v.get("rubygems").str())));
    }
    check(what, failures, total);
}

/// Asserts with a count, and lists every mismatch (not only the first).
fn check(what: &str, failures: Vec<String>, total: usize) {
    assert!(total > 0, "{what}: no vectors");
    assert!(failures.is_empty(), "{what}: {} of {total} differ from Bundler:\n{}", failures.len(), failures.join("\n"));
}

fn platform_inputs(v: &Json) -> Vec<&str> {
    v.get("platforms").arr().iter().map(|p| p.get("input").str()).collect()
}

// ---- the vectors ------------------------------------------------------------

#[test]
fn vectors_come_from_the_pinned_versions() {
    let versions: Vec<(&str, &str, Rules)> =
        all_vectors().iter().map(|(v, r)| (v.get("rubygems").str(), v.get("bundler").str(), *r)).collect();
    assert_eq!(versions, [("3.3.15", "2.3.15", Rules::RubyGems33), ("3.6.7", "2.6.7", Rules::RubyGems36)]);
}

#[test]
fn parses_like_gem_platform_new() {
    check_all("Gem::Platform.new", |v, rules, failures| {
        let rows = v.get("platforms").arr();
        for row in rows {
            let input = row.get("input").str();
            let p = Platform::parse(input, rules);
            if p.to_string() != row.get("to_s").str() {
                failures.push(format!("{input:?}: to_s {:?}, RubyGems {:?}", p.to_string(), row.get("to_s").str()));
            }
            let want: Option<Vec<Option<&str>>> = match row.get("to_a") {
                Json::Null => None,
                a => Some(a.arr().iter().map(Json::opt_str).collect()),
            };
            let got = p.gem().map(|g| vec![g.cpu.as_deref(), Some(g.os.as_str()), g.version.as_deref()]);
            if got != want {
                failures.push(format!("{input:?}: to_a {got:?}, RubyGems {want:?}"));
            }
            if generic(&p, rules).to_string() != row.get("generic").str() {
                failures.push(format!(
                    "{input:?}: generic {}, Bundler {}",
                    generic(&p, rules),
                    row.get("generic").str()
                ));
            }
        }
        rows.len()
    });
}

#[test]
fn matches_like_rubygems_and_bundler() {
    check_all("platform predicates", |v, rules, failures| {
        let inputs = platform_inputs(v);
        let parsed: Vec<Platform> = inputs.iter().map(|s| Platform::parse(s, rules)).collect();
        let mut total = 0;
        for row in v.get("pairs").arr() {
            let i = row.get("a").int() as usize;
            let a = &parsed[i];
            let eq3 = row.get("eq3").str().as_bytes();
            let ms = row.get("match_spec").str().as_bytes();
            let pm = row.get("platforms_match").str().as_bytes();
            let spec = row.get("specificity").arr();
            for (j, b) in parsed.iter().enumerate() {
                total += 1;
                let pair = format!("({:?}, {:?})", inputs[i], inputs[j]);
                if a.matches(b, rules) != (eq3[j] == b'1') {
                    failures.push(format!("{pair} ===: {}", a.matches(b, rules)));
                }
                if match_spec(a, b, rules) != (ms[j] == b'1') {
                    failures.push(format!("{pair} match_spec?: {}", match_spec(a, b, rules)));
                }
                if platforms_match(a, b, rules) != (pm[j] == b'1') {
                    failures.push(format!("{pair} platforms_match?: {}", platforms_match(a, b, rules)));
                }
                if i64::from(specificity(a, b)) != spec[j].int() {
                    failures.push(format!("{pair} specificity: {} vs {}", specificity(a, b), spec[j].int()));
                }
            }
        }
        total
    });
}

/// A lockfile spec's runtime dependencies compare as Bundler's
/// `dependencies.sort ==`: the same names with the same requirements.
fn deps_of(line: &Json) -> Vec<String> {
    let mut d: Vec<String> = line.get("deps").arr().iter().map(|d| d.str().to_owned()).collect();
    d.sort();
    d
}

#[test]
fn chooses_the_variant_bundler_materializes() {
    // Recorded for Bundler 2.3 only (2.6 chooses at materialization: not ported).
    check_all("SpecSet#for(…, true)", |v, rules, failures| {
        let rows = v.get("variants").arr();
        for row in rows {
            let set = row.get("set").str();
            let lines = v.get("variant_sets").get(set).arr();
            let candidates: Vec<(&str, &str)> =
                lines.iter().map(|l| (l.get("version").str(), l.get("platform").str())).collect();
            let deps: Vec<Vec<String>> = lines.iter().map(deps_of).collect();
            let local = Platform::parse(row.get("local").str(), rules);
            let force = row.get("force_ruby").bool();
            let want: Vec<usize> = row.get("chosen").arr().iter().map(|i| i.int() as usize).collect();
            let got = select_best_variants(&candidates, &local, force, rules, |i, j| deps[i] == deps[j]);
            // Bundler returns ties in its (stable) sort order; the set is what
            // gets materialized.
            let (mut g, mut w) = (got.clone(), want.clone());
            g.sort_unstable();
            w.sort_unstable();
            if g != w || got.first() != want.first() {
                failures.push(format!("{set} on {local} force_ruby={force}: {got:?}, Bundler {want:?}"));
            }
            if deps.iter().all(|d| d == &deps[0])
                && select_best_variant(&candidates, &local, force, rules) != want.first().copied()
            {
                failures.push(format!("{set} on {local} force_ruby={force}: select_best_variant disagrees"));
            }
        }
        rows.len()
    });
}

#[test]
fn checks_platforms_like_definition() {
    check_all("Definition platform checks", |v, rules, failures| {
        let sets = v.get("platform_sets").arr();
        let rows = v.get("lockfile").arr();
        for row in rows {
            let platforms: Vec<&str> = sets[row.get("set").int() as usize].arr().iter().map(Json::str).collect();
            let local = Platform::parse(row.get("local").str(), rules);
            let force = row.get("force_ruby").bool();
            let at = format!("{platforms:?} on {local} force_ruby={force}");
            let mut expect = |what: &str, got: String, want: String| {
                if got != want {
                    failures.push(format!("{at} {what}: {got}, Bundler {want}"));
                }
            };
            // Bundler 2.6's validate_platforms! also passes with ruby listed.
            let validates = if row.has("validates") { row.get("validates") } else { row.get("supports") };
            expect(
                "validate_platforms!",
                lockfile_supports(&platforms, &local, force, rules).to_string(),
                validates.bool().to_string(),
            );
            if rules == Rules::RubyGems36 {
                expect(
                    "current_platform_locked?",
                    current_ruby_platform_locked(&platforms, &local, force, rules).to_string(),
                    row.get("supports").bool().to_string(),
                );
            }
            expect(
                "current_ruby_platform_locked?",
                current_ruby_platform_locked(&platforms, &local, force, rules).to_string(),
                row.get("ruby_locked").bool().to_string(),
            );
            expect(
                "add_current_platform",
                adds_local_platform(&platforms, &local, force, rules).to_string(),
                row.get("adds_platform").bool().to_string(),
            );
            expect(
                "most_specific_locked_platform",
                format!("{:?}", most_specific_locked_platform(&platforms, &local, force, rules).map(|p| p.to_string())),
                format!("{:?}", row.get("most_specific").opt_str()),
            );
            expect(
                "ruby_platform_materializes_to_ruby_platform?",
                materializes_by_full_name(&platforms, &local, force, rules).to_string(),
                row.get("by_full_name").bool().to_string(),
            );
            if row.has("message") {
                expect(
                    "message",
                    unsupported_platform_message(&platforms, &local, force, rules),
                    row.get("message").str().to_owned(),
                );
            }
        }
        rows.len()
    });
}

#[test]
fn materializes_by_name_and_version_like_lazy_specification() {
    // Recorded for Bundler 2.3 only (2.6's materialize_for_installation: not ported).
    check_all("LazySpecification#__materialize__", |v, rules, failures| {
        let rows = v.get("materialize").arr();
        for row in rows {
            let set = row.get("installed").str();
            let installed: Vec<(&str, &str)> =
                v.get("installed_sets").get(set).arr().iter().map(|p| (p.arr()[0].str(), p.arr()[1].str())).collect();
            let locked = row.get("locked_platform").str();
            let local = Platform::parse(row.get("local").str(), rules);
            let want = match row.get("chosen") {
                Json::Null => None,
                n => Some(n.int() as usize),
            };
            let got = select_installed_variant(&installed, "1.16.0", locked, &local, rules);
            if got != want {
                failures.push(format!("{set} locked {locked} on {local}: {got:?}, Bundler {want:?}"));
            }
        }
        rows.len()
    });
}

#[test]
fn compares_versions_like_gem_version() {
    check_all("Gem::Version#<=>", |v, _, failures| {
        let versions: Vec<&str> = v.get("versions").arr().iter().map(Json::str).collect();
        for (i, row) in v.get("version_cmp").arr().iter().enumerate() {
            for (j, want) in row.arr().iter().enumerate() {
                let got = match compare_versions(versions[i], versions[j]) {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                };
                if got != want.int() {
                    failures.push(format!("{} <=> {}: {got}, RubyGems {}", versions[i], versions[j], want.int()));
                }
            }
        }
        versions.len() * versions.len()
    });
}

// ---- facts worth stating on their own ---------------------------------------

#[test]
fn known_quirks_of_this_rubygems() {
    let r = Rules::RubyGems33;
    let linux = Platform::parse("x86_64-linux", r);
    // `-gnu` is dropped; musl is a version, and a nil version matches any.
    assert_eq!(Platform::parse("aarch64-linux-gnu", r).to_string(), "aarch64-linux");
    assert!(Platform::parse("x86_64-linux-musl", r).matches(&linux, r));
    // So on glibc, a lockfile with only ruby and musl variants picks musl.
    assert_eq!(select_best_variant(&[("1.0", "ruby"), ("1.0", "x86_64-linux-musl")], &linux, false, r), Some(1));
    assert_eq!(select_best_variant(&[("1.0", "ruby"), ("1.0", "x86_64-linux-musl")], &linux, true, r), Some(0));
    assert_eq!(Platform::parse("mswin32", r).to_string(), "x86-mswin32");
    assert_eq!(Platform::parse("i686-darwin8", r).to_string(), "x86-darwin-8");
    assert_eq!(Platform::parse("", r).to_string(), "ruby");
    assert_eq!(Platform::parse_with_local("current", &linux, r), linux);
    // PLATFORMS `ruby` covers every machine.
    assert!(lockfile_supports(&["ruby"], &Platform::parse("x64-mingw-ucrt", r), false, r));
    assert!(!lockfile_supports(&["x86_64-darwin"], &linux, false, r));
}

#[test]
fn known_quirks_of_rubygems_36() {
    let r = Rules::RubyGems36;
    let gnu = Platform::parse("x86_64-linux-gnu", r);
    // `-gnu` is kept, and a versionless linux gem is a glibc one...
    assert_eq!(gnu.to_string(), "x86_64-linux-gnu");
    assert!(Platform::parse("x86_64-linux", r).matches(&gnu, r));
    // ...but a musl gem no longer runs on glibc.
    assert!(!Platform::parse("x86_64-linux-musl", r).matches(&gnu, r));
    assert!(!match_spec(&Platform::parse("x86_64-linux-musl", r), &gnu, r));
    // PLATFORMS `x86_64-linux` covers Debian 13's `x86_64-linux-gnu`.
    assert!(lockfile_supports(&["x86_64-linux"], &gnu, false, r));
    assert_eq!(Rules::for_rubygems("3.4.99"), Rules::RubyGems33);
    assert_eq!(Rules::for_rubygems("3.5.0"), Rules::RubyGems36);
    assert_eq!(Rules::for_rubygems(""), Rules::RubyGems33);
}
