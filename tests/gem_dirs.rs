//! src/gem_dirs.rs over gem dirs whose spec files were written by the real
//! `gem install` (tests/data/gem_dirs, rebuilt by its generate.rb), plus the
//! damaged files RubyGems can meet. spec/gem_dirs_spec.rb compares the same
//! scan with RubyGems' own `Gem::Specification.stubs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use fastbundle_core::gem_dirs::{scan, DefaultSpecs, GemIndex, InstalledSpec, ScanErrorKind, ScanRequest};
use fastbundle_core::platform::Rules;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gem_dirs");

/// A private copy of the fixtures, removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fastbundle-gem-dirs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        copy_tree(Path::new(DATA), &dir);
        Tmp(dir)
    }
    fn path(&self, rel: &str) -> String {
        self.0.join(rel).to_str().unwrap().to_owned()
    }
    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    fn scan(&self, dirs: &[&str], with_defaults: bool) -> GemIndex {
        let full: Vec<String> = dirs.iter().map(|d| self.path(d)).collect();
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let spec_dir = self.path("default_specs");
        let base = self.path("default_base");
        scan(&ScanRequest {
            gem_dirs: &refs,
            default_specs: with_defaults.then(|| DefaultSpecs { specifications_dir: &spec_dir, base_dir: &base }),
            platform: "x86_64-linux",
            extension_api_version: "3.1.0",
            rules: Rules::RubyGems33,
            only_names: None,
        })
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            // (read + write: Miri supports no copy_file_range)
            fs::write(target, fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

fn full_names(index: &GemIndex) -> Vec<&str> {
    index.specs.iter().map(|s| s.full_name.as_str()).collect()
}

fn spec<'a>(index: &'a GemIndex, full_name: &str) -> &'a InstalledSpec {
    index.find(full_name).unwrap_or_else(|| panic!("{full_name} not indexed: {:?}", full_names(index)))
}

/// A spec file as RubyGems writes it, with the given stub lines.
fn spec_file(stub: &str, extensions: Option<&str>) -> Vec<u8> {
    let mut s = format!("# -*- encoding: utf-8 -*-\n# stub: {stub}\n");
    if let Some(e) = extensions {
        s.push_str(&format!("# stub: {e}\n"));
    }
    s.push_str("\nGem::Specification.new do |s|\nend\n");
    s.into_bytes()
}

#[test]
fn indexes_real_spec_files_in_path_order() {
    let t = Tmp::new();
    let index = t.scan(&["first", "second"], true);
    assert!(index.errors.is_empty(), "{:?}", index.errors);
    // Each dir's files in name order, the second dir's alpha-1.0.0 dropped
    // (first dir wins), default specs last.
    assert_eq!(
        full_names(&index),
        [
            "alpha-1.0.0",
            "dashed-name-0.2.0",
            "gnu-1.0.0-x86_64-linux",
            "multi-2.0.0",
            "native-1.0.0-x86_64-linux",
            "pre-1.0.0.rc1",
            "withext-0.1.0",
            "alpha-1.1.0",
            "abbrev-0.1.0",
            "json-2.6.1",
        ]
    );
    let first = t.path("first");
    let alpha = spec(&index, "alpha-1.0.0");
    assert_eq!(alpha.require_paths, [format!("{first}/gems/alpha-1.0.0/lib")]);
    assert_eq!(alpha.full_gem_path, format!("{first}/gems/alpha-1.0.0"));
    assert_eq!(alpha.spec_file, format!("{first}/specifications/alpha-1.0.0.gemspec"));
    assert_eq!(index.dirs[alpha.gem_dir], first);
    assert!(alpha.has_stub && !alpha.default_gem && alpha.full_gem_path_exists && alpha.extensions_built);
    assert_eq!(index.named("alpha").map(|s| s.version.as_str()).collect::<Vec<_>>(), ["1.0.0", "1.1.0"]);

    let multi = spec(&index, "multi-2.0.0");
    assert_eq!(
        multi.require_paths,
        [format!("{first}/gems/multi-2.0.0/lib"), format!("{first}/gems/multi-2.0.0/vendor/lib")]
    );
    let native = spec(&index, "native-1.0.0-x86_64-linux");
    assert_eq!((native.name.as_str(), native.platform.as_str()), ("native", "x86_64-linux"));
    assert_eq!(native.require_paths, [format!("{first}/gems/native-1.0.0-x86_64-linux/lib")]);

    let ext = spec(&index, "withext-0.1.0");
    let ext_dir = format!("{first}/extensions/x86_64-linux/3.1.0/withext-0.1.0");
    assert_eq!(ext.require_paths, [format!("{first}/gems/withext-0.1.0/lib"), ext_dir.clone()]);
    assert_eq!(ext.extension_dir.as_deref(), Some(ext_dir.as_str()));
    assert!(ext.extensions_built);
}

#[test]
fn default_gems_live_under_the_default_dir() {
    let t = Tmp::new();
    let index = t.scan(&[], true);
    let base = t.path("default_base");
    let json = spec(&index, "json-2.6.1");
    assert!(json.default_gem);
    assert_eq!(json.full_gem_path, format!("{base}/gems/json-2.6.1"));
    assert_eq!(
        json.require_paths,
        [format!("{base}/gems/json-2.6.1/lib"), format!("{base}/extensions/x86_64-linux/3.1.0/json-2.6.1")]
    );
    assert_eq!(json.spec_file, format!("{}/json-2.6.1.gemspec", t.path("default_specs")));
    // Missing gem dirs are normal for default gems (Debian) and extensions
    // count as built.
    assert!(!json.full_gem_path_exists && json.extensions_built);
    assert!(index.errors.is_empty(), "{:?}", index.errors);
}

#[test]
fn an_installed_gem_shadows_the_default_gem_of_the_same_full_name() {
    let t = Tmp::new();
    t.write("first/specifications/json-2.6.1.gemspec", &spec_file("json 2.6.1 ruby lib", None));
    fs::create_dir_all(t.path("first/gems/json-2.6.1")).unwrap();
    let index = t.scan(&["first"], true);
    let json = spec(&index, "json-2.6.1");
    assert!(!json.default_gem);
    assert_eq!(index.named("json").count(), 1);
}

#[test]
fn reports_a_missing_gem_dir_but_keeps_the_spec() {
    let t = Tmp::new();
    fs::remove_dir_all(t.path("first/gems/alpha-1.0.0")).unwrap();
    let index = t.scan(&["first"], false);
    assert!(!spec(&index, "alpha-1.0.0").full_gem_path_exists);
    assert_eq!(index.errors.len(), 1);
    assert_eq!(index.errors[0].kind, ScanErrorKind::MissingGemDir);
    assert!(index.errors[0].path.ends_with("specifications/alpha-1.0.0.gemspec"));
}

#[test]
fn missing_build_complete_means_extensions_not_built() {
    let t = Tmp::new();
    fs::remove_file(t.path("first/extensions/x86_64-linux/3.1.0/withext-0.1.0/gem.build_complete")).unwrap();
    let index = t.scan(&["first"], false);
    assert!(!spec(&index, "withext-0.1.0").extensions_built);
}

#[test]
fn a_spec_without_stub_is_flagged_for_ruby() {
    let t = Tmp::new();
    t.write(
        "first/specifications/legacy-3.0.0-java.gemspec",
        b"Gem::Specification.new do |s|\n  s.name = 'legacy'\nend\n",
    );
    let index = t.scan(&["first"], false);
    let legacy = spec(&index, "legacy-3.0.0-java");
    assert!(!legacy.has_stub);
    assert_eq!((legacy.name.as_str(), legacy.version.as_str(), legacy.platform.as_str()), ("legacy", "3.0.0", "java"));
    assert!(legacy.require_paths.is_empty());
    assert!(index.errors.is_empty(), "{:?}", index.errors);
}

#[test]
fn truncated_files_have_no_stub() {
    // RubyGems needs a third line to exist: `readline` raising EOFError
    // before it leaves the stub unread.
    let cases: [&[u8]; 5] = [
        b"",
        b"# -*- encoding: utf-8 -*-",
        b"# -*- encoding: utf-8 -*-\n",
        b"# -*- encoding: utf-8 -*-\n# stub: cut 1.0 ruby lib",
        b"# -*- encoding: utf-8 -*-\n# stub: cut 1.0 ruby lib\n",
    ];
    for bytes in cases {
        let t = Tmp::new();
        t.write("first/specifications/cut-1.0.gemspec", bytes);
        let index = t.scan(&["first"], false);
        assert!(!spec(&index, "cut-1.0").has_stub, "{:?}", String::from_utf8_lossy(bytes));
    }
    // One more byte and the stub counts.
    let t = Tmp::new();
    t.write("first/specifications/cut-1.0.gemspec", b"# -*- encoding: utf-8 -*-\n# stub: cut 1.0 ruby lib\n\n");
    fs::create_dir_all(t.path("first/gems/cut-1.0")).unwrap();
    let index = t.scan(&["first"], false);
    assert!(spec(&index, "cut-1.0").has_stub);
}

#[test]
fn invalid_utf8_and_broken_stubs_are_errors() {
    let t = Tmp::new();
    t.write("first/specifications/bad-1.0.gemspec", b"# \xff\xfe\n# stub: bad 1.0 ruby li\xffb\n\n");
    t.write("first/specifications/badext-1.0.gemspec", b"#\n# stub: badext 1.0 ruby lib\n# stub: ext/\xff\n");
    t.write("first/specifications/short-1.0.gemspec", b"#\n# stub: \n\n");
    // A broken first line alone is fine: RubyGems discards it unread.
    t.write("first/specifications/okfirst-1.0.gemspec", b"# \xff\xfe\n# stub: okfirst 1.0 ruby lib\n\n");
    fs::create_dir_all(t.path("first/gems/okfirst-1.0")).unwrap();
    let index = t.scan(&["first"], false);
    let kinds: Vec<(&str, &ScanErrorKind)> =
        index.errors.iter().map(|e| (e.path.rsplit('/').next().unwrap(), &e.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("bad-1.0.gemspec", &ScanErrorKind::InvalidUtf8),
            ("badext-1.0.gemspec", &ScanErrorKind::InvalidUtf8),
            ("short-1.0.gemspec", &ScanErrorKind::BrokenStub),
        ]
    );
    assert!(index.find("bad-1.0").is_none() && index.find("short-1.0").is_none());
    assert!(spec(&index, "okfirst-1.0").has_stub);
    for e in &index.errors {
        assert!(!e.message().is_empty());
    }
}

#[test]
fn short_stub_lines_read_like_rubygems() {
    // StubLine takes the require paths from the last field, whatever it is,
    // and defaults a missing platform to ruby and a missing version to "".
    let t = Tmp::new();
    t.write("first/specifications/short-1.0.gemspec", b"#\n# stub: short 1.0\n\n");
    t.write("first/specifications/three-1.0.gemspec", b"#\n# stub: three 1.0 ruby\n\n");
    t.write("first/specifications/one.gemspec", b"#\n# stub: one\n\n");
    let index = t.scan(&["first"], false);
    assert!(index.errors.iter().all(|e| e.kind == ScanErrorKind::MissingGemDir), "{:?}", index.errors);
    let short = spec(&index, "short-1.0");
    assert_eq!(short.require_paths, [t.path("first/gems/short-1.0/1.0")]);
    assert_eq!(spec(&index, "three-1.0").require_paths, [t.path("first/gems/three-1.0/ruby")]);
    let one = spec(&index, "one-");
    assert_eq!((one.version.as_str(), one.platform.as_str()), ("", "ruby"));
    assert_eq!(one.require_paths, [t.path("first/gems/one-/one")]);
}

#[test]
fn unreadable_spec_files_are_errors() {
    let t = Tmp::new();
    // A directory named like a spec, and a dangling symlink.
    fs::create_dir_all(t.path("first/specifications/dir-1.0.gemspec")).unwrap();
    std::os::unix::fs::symlink(t.path("nowhere"), t.path("first/specifications/link-1.0.gemspec")).unwrap();
    let index = t.scan(&["first"], false);
    let bad: Vec<&str> = index
        .errors
        .iter()
        .filter(|e| matches!(e.kind, ScanErrorKind::UnreadableSpec(_)))
        .map(|e| e.path.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(bad, ["dir-1.0.gemspec", "link-1.0.gemspec"]);
    assert_eq!(index.specs.len(), 7);
}

#[test]
#[cfg_attr(miri, ignore = "writes and reads megabytes, minutes under Miri")]
fn reads_only_the_head_of_a_huge_gemspec() {
    let t = Tmp::new();
    let mut bytes = spec_file("huge 1.0 ruby lib\0data", Some("ext/huge/extconf.rb"));
    bytes.extend(std::iter::repeat(b"  s.files += [\"x\"]\n".as_slice()).take(60_000).flatten());
    assert!(bytes.len() > 1_000_000);
    t.write("first/specifications/huge-1.0.gemspec", &bytes);
    // And one whose first line alone is a megabyte.
    let mut long_first = vec![b'#'; 1 << 20];
    long_first.extend_from_slice(b"\n# stub: longline 2.0 ruby lib\n\n");
    t.write("first/specifications/longline-2.0.gemspec", &long_first);
    let index = t.scan(&["first"], false);
    let huge = spec(&index, "huge-1.0");
    let first = t.path("first");
    assert_eq!(
        huge.require_paths,
        [
            format!("{first}/gems/huge-1.0/lib"),
            format!("{first}/gems/huge-1.0/data"),
            format!("{first}/extensions/x86_64-linux/3.1.0/huge-1.0"),
        ]
    );
    assert!(spec(&index, "longline-2.0").has_stub);
}

#[test]
fn stub_fields_are_normalised_like_rubygems() {
    let t = Tmp::new();
    let cases = [
        // (file, stub line, extensions line, full name, require path tails)
        ("a.gemspec", "rc 1.0-rc1 ruby lib", None, "rc-1.0.pre.rc1", vec!["gems/rc-1.0.pre.rc1/lib"]),
        ("b.gemspec", "bogus 1..0 ruby lib", None, "bogus-0", vec!["gems/bogus-0/lib"]),
        (
            "c.gemspec",
            "gnu 2.0 aarch64-linux-gnu lib",
            None,
            "gnu-2.0-aarch64-linux",
            vec!["gems/gnu-2.0-aarch64-linux/lib"],
        ),
        (
            "d.gemspec",
            "paths 1 ruby lib\0\0ext\0",
            None,
            "paths-1",
            vec!["gems/paths-1/lib", "gems/paths-1/", "gems/paths-1/ext"],
        ),
        ("e.gemspec", "spaced 1 ruby my lib", None, "spaced-1", vec!["gems/spaced-1/my lib"]),
        ("f.gemspec", "none 1 ruby ", None, "none-1", vec![]),
        ("g.gemspec", "nulext 1 ruby lib", Some("\0\0"), "nulext-1", vec!["gems/nulext-1/lib"]),
        (
            "h.gemspec",
            "crlf 1 ruby lib\r",
            Some("ext/x\r"),
            "crlf-1",
            vec!["gems/crlf-1/lib", "extensions/x86_64-linux/3.1.0/crlf-1"],
        ),
        (
            "i.gemspec",
            "java 1 universal-java-17 lib",
            None,
            "java-1-universal-java-17",
            vec!["gems/java-1-universal-java-17/lib"],
        ),
    ];
    for (file, stub, ext, _, _) in &cases {
        t.write(&format!("first/specifications/{file}"), &spec_file(stub, *ext));
    }
    let index = t.scan(&["first"], false);
    let first = t.path("first");
    for (file, _, _, full_name, tails) in cases {
        let s = spec(&index, full_name);
        assert!(s.spec_file.ends_with(file));
        let want: Vec<String> = tails.iter().map(|tail| format!("{first}/{tail}")).collect();
        assert_eq!(s.require_paths, want, "{full_name}");
    }
}

#[test]
fn missing_and_empty_dirs_are_quietly_empty() {
    let t = Tmp::new();
    fs::create_dir_all(t.path("empty/specifications")).unwrap();
    let index = t.scan(&["absent", "empty", "first/gems/alpha-1.0.0/lib/alpha.rb"], false);
    assert!(index.specs.is_empty());
    assert!(index.errors.is_empty(), "{:?}", index.errors);
    assert_eq!(index.dirs.len(), 3);
}

#[test]
fn dot_files_and_other_names_are_not_specs() {
    let t = Tmp::new();
    t.write("first/specifications/.hidden-1.0.gemspec", &spec_file("hidden 1.0 ruby lib", None));
    t.write("first/specifications/.gemspec", &spec_file("dot 1.0 ruby lib", None));
    t.write("first/specifications/notes.txt", b"hello");
    t.write("first/specifications/x.gemspec.bak", &spec_file("bak 1.0 ruby lib", None));
    let index = t.scan(&["first"], false);
    assert_eq!(index.specs.len(), 7, "{:?}", full_names(&index));
}

#[test]
fn non_utf8_file_names_are_reported() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tmp::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-1.0.gemspec");
    fs::write(Path::new(&t.path("first/specifications")).join(name), spec_file("cafe 1.0 ruby lib", None)).unwrap();
    let index = t.scan(&["first"], false);
    assert_eq!(index.errors.len(), 1);
    assert_eq!(index.errors[0].kind, ScanErrorKind::NonUtf8Path);
}

#[test]
fn relative_and_unclean_dirs_are_expanded() {
    let t = Tmp::new();
    let index = scan(&ScanRequest {
        gem_dirs: &[&format!("{}/./first/", t.0.display())],
        default_specs: None,
        platform: "x86_64-linux",
        extension_api_version: "3.1.0",
        rules: Rules::RubyGems33,
        only_names: None,
    });
    let alpha = spec(&index, "alpha-1.0.0");
    assert_eq!(alpha.full_gem_path, format!("{}/gems/alpha-1.0.0", t.path("first")));
    assert_eq!(alpha.spec_file, format!("{}/specifications/alpha-1.0.0.gemspec", t.path("first")));
}

/// Hostile spec files: each is an error naming the file, read without
/// blocking and within a bound; the rest of the dir is indexed as before.
#[test]
#[cfg_attr(miri, ignore = "spawns mkfifo(1) and reads 9 MiB")]
fn spec_files_that_could_hang_or_exhaust_a_boot_are_errors() {
    let t = Tmp::new();
    let specs = t.path("first/specifications");
    let fifo = format!("{specs}/fifo-1.0.gemspec");
    let made_fifo = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    std::os::unix::fs::symlink("/dev/zero", format!("{specs}/zero-1.0.gemspec")).unwrap();
    std::os::unix::fs::symlink(format!("{specs}/loop-1.0.gemspec"), format!("{specs}/loop-1.0.gemspec")).unwrap();
    // 9 MiB without a newline: RubyGems would read it all for line 1.
    t.write("first/specifications/endless-1.0.gemspec", &vec![b'#'; 9 << 20]);
    let index = t.scan(&["first"], false);
    let mut bad: Vec<(&str, String)> = index
        .errors
        .iter()
        .filter_map(|e| match &e.kind {
            ScanErrorKind::UnreadableSpec(why) => Some((e.path.rsplit('/').next().unwrap(), why.clone())),
            _ => None,
        })
        .collect();
    bad.sort();
    let names: Vec<&str> = bad.iter().map(|(n, _)| *n).collect();
    let mut expected = vec!["endless-1.0.gemspec", "loop-1.0.gemspec", "zero-1.0.gemspec"];
    if made_fifo {
        expected.insert(1, "fifo-1.0.gemspec");
    }
    assert_eq!(names, expected, "{bad:?}");
    assert!(bad[0].1.contains("KiB"), "{bad:?}");
    assert!(bad.iter().find(|(n, _)| *n == "zero-1.0.gemspec").unwrap().1.contains("not a regular file"), "{bad:?}");
    assert_eq!(index.specs.len(), 7);
}

#[test]
fn stubs_that_would_leave_the_gem_dir_are_refused() {
    let t = Tmp::new();
    let cases: [(&str, &str); 5] = [
        ("up-1.0", "up 1.0 ruby ../../../../tmp/evil"),
        ("deep-1.0", "deep 1.0 ruby lib\0lib/../../../elsewhere"),
        ("slash-1.0", "../slash 1.0 ruby lib"),
        ("nul-1.0", "nu\u{1}l 1.0 ruby lib"),
        ("plat-1.0-x", "plat 1.0 x/../../y-linux lib"),
    ];
    for (stem, stub) in cases {
        t.write(&format!("first/specifications/{stem}.gemspec"), &spec_file(stub, None));
        t.write(&format!("first/gems/{stem}/lib/x.rb"), b"");
    }
    // Inside the gem dir, however written: as RubyGems joins them.
    t.write("first/specifications/inside-1.0.gemspec", &spec_file("inside 1.0 ruby /abs\0lib/../lib\0.", None));
    t.write("first/gems/inside-1.0/lib/inside.rb", b"");
    let index = t.scan(&["first"], false);
    let refused: Vec<(&str, &str)> = index
        .errors
        .iter()
        .filter_map(|e| match &e.kind {
            ScanErrorKind::Refused(why) => Some((e.path.rsplit('/').next().unwrap(), why.as_str())),
            _ => None,
        })
        .collect();
    let files: Vec<&str> = refused.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        files,
        ["deep-1.0.gemspec", "nul-1.0.gemspec", "plat-1.0-x.gemspec", "slash-1.0.gemspec", "up-1.0.gemspec"]
    );
    assert!(refused[0].1.contains("lib/../../../elsewhere") && refused[0].1.contains("outside"), "{refused:?}");
    assert!(refused[3].1.contains("no valid gem name"), "{refused:?}");
    for (_, why) in &refused {
        assert!(!why.contains('\u{1}'), "{why:?}");
    }
    assert!(index.specs.iter().all(|s| !["up", "deep", "../slash", "plat"].contains(&s.name.as_str())));
    let inside = spec(&index, "inside-1.0");
    let dir = t.path("first/gems/inside-1.0");
    assert_eq!(inside.require_paths, [format!("{dir}/abs"), format!("{dir}/lib/../lib"), format!("{dir}/.")]);
}
