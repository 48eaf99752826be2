use fastbundle_core::lockfile::{Lockfile, LockfileErrorKind, SourceKind};

const SAMPLE: &str = "GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: main
  glob: {,*,*/*}.gemspec
  specs:
    rails (7.2.0.alpha)
      actionpack (= 7.2.0.alpha)

PATH
  remote: .
  specs:
    mygem (0.1.0)
      rack (>= 2.0, < 4)

GEM
  remote: https://rubygems.org/
  remote: https://user:secret@gems.example.com/
  specs:
    actionpack (7.2.0.alpha)
    nokogiri (1.16.0)
      racc (~> 1.4)
    nokogiri (1.16.0-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.16.0-arm64-darwin)
    racc (1.7.3)
    rack (3.0.8)
    sqlite3 (1.7.0-x64-mingw-ucrt)
    jruby-openssl (0.14.2-java)
    ffi (1.16.3-x86_64-linux-musl)

PLATFORMS
  arm64-darwin
  ruby
  x86_64-linux

DEPENDENCIES
  mygem!
  nokogiri (~> 1.16)
  rails!

CHECKSUMS
  nokogiri (1.16.0) sha256=abc
  nokogiri (1.16.0-x86_64-linux) sha256=def,md5=0
  racc (1.7.3)

RUBY VERSION
   ruby 3.3.0p0

BUNDLED WITH
   2.5.3
";

#[test]
fn parses_every_section() {
    let lock = Lockfile::parse(SAMPLE).unwrap();
    assert_eq!(lock.sources.len(), 3);
    assert_eq!(lock.sources[0].kind, SourceKind::Git);
    assert_eq!(lock.str(lock.sources[0].remotes[0]), "https://github.com/rails/rails.git");
    let opts: Vec<_> = lock.sources[0].options.iter().map(|&(k, v)| (lock.str(k), lock.str(v))).collect();
    assert_eq!(opts, [("revision", "0123456789abcdef0123456789abcdef01234567"), ("branch", "main"), ("glob", "{,*,*/*}.gemspec")]);
    assert_eq!(lock.sources[2].remotes.len(), 2);

    let names: Vec<String> = lock.specs.iter().map(|s| lock.full_name(s)).collect();
    assert_eq!(
        names,
        [
            "rails-7.2.0.alpha", "mygem-0.1.0", "actionpack-7.2.0.alpha", "nokogiri-1.16.0",
            "nokogiri-1.16.0-x86_64-linux", "nokogiri-1.16.0-arm64-darwin", "racc-1.7.3", "rack-3.0.8",
            "sqlite3-1.7.0-x64-mingw-ucrt", "jruby-openssl-0.14.2-java", "ffi-1.16.3-x86_64-linux-musl"
        ]
    );
    let mygem = &lock.specs[1];
    assert_eq!(lock.specs[1].source, 1);
    let deps: Vec<_> = lock.deps_of(mygem).iter().map(|d| (lock.str(d.name), lock.requirements(d).collect::<Vec<_>>())).collect();
    assert_eq!(deps, [("rack", vec![">= 2.0", "< 4"])]);
    let plats: Vec<_> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
    assert_eq!(plats, ["arm64-darwin", "ruby", "x86_64-linux"]);
    let deps: Vec<_> = lock.dependencies.iter().map(|d| (lock.str(d.dep.name), d.pinned)).collect();
    assert_eq!(deps, [("mygem", true), ("nokogiri", false), ("rails", true)]);
    assert_eq!(lock.checksums.len(), 3);
    assert_eq!(lock.str(lock.checksums[1].value.unwrap()), "sha256=def,md5=0");
    assert!(lock.checksums[2].value.is_none());
    assert_eq!(lock.str(lock.ruby_version.unwrap()), "ruby 3.3.0p0");
    assert_eq!(lock.str(lock.bundled_with.unwrap()), "2.5.3");
}

#[test]
fn crlf_and_blank_lines_parse_the_same() {
    let crlf = SAMPLE.replace('\n', "\r\n").replace("PLATFORMS", "\r\n\r\nPLATFORMS");
    let a = Lockfile::parse(SAMPLE).unwrap();
    let b = Lockfile::parse(&crlf).unwrap();
    let names = |l: &Lockfile| l.specs.iter().map(|s| l.full_name(s)).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    assert_eq!(b.str(b.bundled_with.unwrap()), "2.5.3");
}

#[test]
fn unknown_sections_are_skipped() {
    let text = format!("FUTURE SECTION\n  whatever (1)\n      nested\n{SAMPLE}");
    assert_eq!(Lockfile::parse(&text).unwrap().specs.len(), 11);
}

#[test]
fn duplicate_specs_and_dependencies_replace_earlier_ones() {
    let text = "GEM\n  remote: x\n  specs:\n    a (1.0)\n      b\n    a (1.0)\n      c\n\nDEPENDENCIES\n  a (= 1)\n  a (= 2)\n";
    let lock = Lockfile::parse(text).unwrap();
    assert_eq!(lock.specs.len(), 1);
    let deps: Vec<_> = lock.deps_of(&lock.specs[0]).iter().map(|d| lock.str(d.name)).collect();
    assert_eq!(deps, ["c"]);
    assert_eq!(lock.dependencies.len(), 1);
    assert_eq!(lock.requirements(&lock.dependencies[0].dep).collect::<Vec<_>>(), ["= 2"]);
}

#[test]
fn errors_name_the_line_and_hide_credentials() {
    let text = "GEM\n  remote: https://user:secret@gems.example.com/\n  specs:\n    rack (three)\n";
    let err = Lockfile::parse(text).unwrap_err();
    assert_eq!(err.line, Some(4));
    let msg = err.message("Gemfile.lock");
    assert!(msg.contains("Gemfile.lock:4"), "{msg}");
    assert!(msg.contains("rack (three)"), "{msg}");

    let text = "GEM\n  remote: https://user:secret@gems.example.com/\n\tspecs:\n";
    let msg = Lockfile::parse(text).unwrap_err().message("x.lock");
    assert!(msg.contains("x.lock:3") && msg.contains("tab"), "{msg}");

    let text = "GEM\n  rem ote: https://user:secret@gems.example.com/\n";
    let msg = Lockfile::parse(text).unwrap_err().message("x.lock");
    assert!(msg.contains("https://***@gems.example.com/") && !msg.contains("secret") && !msg.contains("user@"), "{msg}");
}

#[test]
fn merge_conflicts_have_their_own_error() {
    let text = format!("{SAMPLE}<<<<<<< HEAD\n");
    let err = Lockfile::parse(&text).unwrap_err();
    assert_eq!(err.kind, LockfileErrorKind::MergeConflict);
    assert_eq!(err.line, Some(SAMPLE.lines().count() as u32 + 1));
    assert!(err.message("Gemfile.lock").contains("git checkout HEAD -- Gemfile.lock"));
}

#[test]
fn structural_errors() {
    for (text, line) in [
        ("GEM\n  remote: x\n    a (1.0)\n", 3),              // spec before specs:
        ("GEM\n  remote: x\n  specs:\n      b (>= 1)\n", 4), // dependency before any spec
        ("GEM\n  remote: x\n  specs:\n    a (1.0\n", 4),     // unterminated version
        ("GEM\n  remote: x\n  specs:\n     a (1.0)\n", 4),   // five spaces
        ("GEM\n  specs:\n    a (1.0)\n      b (>> 1)\n", 4), // bad requirement
        ("DEPENDENCIES\n    a\n", 2),
        ("BUNDLED WITH\n   two\n", 2),
        ("PLATFORMS\n   ruby\n", 2),
    ] {
        let err = Lockfile::parse(text).unwrap_err();
        assert_eq!(err.line, Some(line), "{text:?}: {err:?}");
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut bytes = b"GEM\n  remote: x\n  specs:\n    a (1.0)\n".to_vec();
    bytes.extend_from_slice(b"    \xff (1.0)\n");
    let err = Lockfile::parse_bytes(&bytes).unwrap_err();
    assert_eq!((err.kind, err.line), (LockfileErrorKind::InvalidUtf8, Some(5)));
}

#[test]
fn odd_but_valid_input() {
    // NUL bytes in names, an empty file, a truncated file.
    assert!(Lockfile::parse("").unwrap().specs.is_empty());
    let lock = Lockfile::parse("GEM\n  remote: x\n  specs:\n    a\0b (1.0)\n").unwrap();
    assert_eq!(lock.str(lock.specs[0].name), "a\0b");
    // Truncated at a line end: a shorter, valid lockfile. Mid-line: an error
    // on that last line, never a panic.
    let at = SAMPLE.find("    racc (1.7.3)").unwrap();
    assert_eq!(Lockfile::parse(&SAMPLE[..at]).unwrap().specs.len(), 6);
    let err = Lockfile::parse(&SAMPLE[..at + 10]).unwrap_err();
    assert_eq!(err.line, Some(SAMPLE[..at].lines().count() as u32 + 1));
}

#[test]
fn merge_markers_are_found_at_every_alignment() {
    for marker in ["<<<<<<< ours", "=======", ">>>>>>> theirs", "||||||| base"] {
        for pad in 0..16 {
            let text = format!("GEM\n  remote: x\n  specs:\n{}{marker}\n    a (1.0)\n", " ".repeat(pad));
            let err = Lockfile::parse(&text).unwrap_err();
            assert_eq!((err.kind, err.line), (LockfileErrorKind::MergeConflict, Some(4)), "{text:?}");
        }
    }
    // Six in a row is not a marker.
    assert!(Lockfile::parse("GEM\n  remote: ======\n  specs:\n").is_ok());
}

const SMALL: &str = "GEM
  remote: https://rubygems.org/
  specs:
    alpha (1.0.0)
      beta (~> 2.0)
    beta (2.1.0)
      gamma (>= 0)
    gamma (0.3.0)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  alpha
  beta!

BUNDLED WITH
   2.3.15
";

fn lenient(text: &str) -> (Lockfile, Vec<u32>) {
    let (lock, skipped) = Lockfile::parse_bytes_lenient(text.as_bytes()).expect("lenient parse");
    assert!(Lockfile::parse(text).is_err(), "the strict parse refuses what the lenient one passes over");
    (lock, skipped.iter().map(|e| e.line.unwrap()).collect())
}

fn names(lock: &Lockfile) -> Vec<&str> {
    lock.specs.iter().map(|s| lock.str(s.name)).collect()
}

#[test]
fn lenient_parse_passes_over_a_spec_line_and_its_dependencies() {
    let (lock, lines) = lenient(&SMALL.replace("    beta (2.1.0)\n", "    beta (2.1.0\n"));
    assert_eq!(lines, [6]);
    assert_eq!(names(&lock), ["alpha", "gamma"]);
    // gamma's line under the unreadable spec belongs to no spec.
    assert!(lock.specs.iter().all(|s| lock.deps_of(s).iter().all(|d| lock.str(d.name) != "gamma")));
    assert_eq!(lock.deps_of(&lock.specs[0]).len(), 1);
}

#[test]
fn lenient_parse_keeps_unreadable_dependency_lines_under_their_whole_text() {
    let (lock, lines) = lenient(&SMALL.replace("      beta (~> 2.0)\n", "      beta (~> 2.0\n"));
    assert_eq!(lines, [5]);
    let alpha = &lock.specs[0];
    let deps: Vec<&str> = lock.deps_of(alpha).iter().map(|d| lock.str(d.name)).collect();
    assert_eq!(deps, ["beta (~> 2.0"]);

    let (lock, lines) = lenient(&SMALL.replace("  beta!\n", "  beta (2!\n"));
    assert_eq!(lines, [15]);
    let dep = &lock.dependencies[1];
    assert_eq!((lock.str(dep.dep.name), dep.pinned), ("beta (2", true));
}

#[test]
fn lenient_parse_passes_over_platforms_tabs_and_bundler_versions_it_cannot_read() {
    let text = SMALL.replace("  x86_64-linux\n", "   x86_64-linux\n").replace("    gamma (0.3.0)\n", "\tgamma (0.3.0)\n");
    let (lock, lines) = lenient(&text.replace("   2.3.15\n", "   garbage\n"));
    assert_eq!(lines, [8, 11, 18]);
    assert!(lock.platforms.is_empty());
    assert_eq!(names(&lock), ["alpha", "beta"]);
    assert!(lock.bundled_with.is_none());
}

#[test]
fn lenient_parse_still_refuses_what_bundler_refuses() {
    for text in [
        SMALL.replace("    beta (2.1.0)\n", "    beta (two)\n"),
        SMALL.replace("      beta (~> 2.0)\n", "      beta (~~ 2.0)\n"),
        SMALL.replace("  specs:\n", ""),
        format!("<<<<<<< HEAD\n{SMALL}"),
    ] {
        assert!(Lockfile::parse_bytes_lenient(text.as_bytes()).is_err(), "{text}");
    }
    let (_, skipped) = Lockfile::parse_bytes_lenient(SMALL.as_bytes()).unwrap();
    assert!(skipped.is_empty());
}

#[test]
fn a_setup_refuses_spec_names_and_platforms_rubygems_never_installs() {
    let wrap = |spec: &str| {
        let name = spec.rsplit_once(" (").map_or(spec, |(n, _)| n);
        format!("GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n      {name}\n    {spec}\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n")
    };
    for bad in [
        "../../../../tmp/evil (1.0)",
        "/etc/evil (1.0)",
        "ev\0il (1.0)",
        "$HOME;touch${IFS}pwned (1.0)",
        "a|b>c&&d (1.0)",
        "`id` (1.0)",
        "rack (1.0-../../x)",
        "rack (1.0-x86_64/linux)",
    ] {
        let text = wrap(bad);
        let err = Lockfile::parse_bytes_lenient(text.as_bytes()).unwrap_err();
        assert_eq!(err.line, Some(6), "{bad:?}: {err:?}");
        assert!(err.message("Gemfile.lock").contains(&format!("Gemfile.lock:{}", err.line.unwrap())), "{bad:?}");
        // FastBundle::Lockfile reads them as Bundler's parser does.
        assert!(Lockfile::parse(&text).is_ok(), "{bad:?}");
    }
    // With parentheses the line is no spec line at all: passed over, as by
    // Bundler, and named (the setup then reports the gem it lacks).
    let (_, skipped) = Lockfile::parse_bytes_lenient(wrap("$(touch pwned) (1.0)").as_bytes()).unwrap();
    assert_eq!(skipped.iter().map(|e| e.line).collect::<Vec<_>>(), [Some(5), Some(6)]);
    for good in ["rack-test (2.1.0)", "net_http.x (1.0)", "nokogiri (1.16.0-x86_64-linux-musl)", "x (1.0-universal-darwin-22)"] {
        assert!(Lockfile::parse_bytes_lenient(wrap(good).as_bytes()).is_ok(), "{good:?}");
    }
}
