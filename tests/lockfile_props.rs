//! Property tests: no input makes the parser panic or hang, every span it
//! returns lies inside the text, and lockfiles rendered from a random model
//! parse back to that model.

use fastbundle_core::lockfile::Lockfile;
use proptest::prelude::*;

fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/fixtures/lockfiles/real");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Every span is in bounds and on char boundaries (`str` would panic otherwise).
fn check_spans(lock: &Lockfile) {
    for s in &lock.specs {
        lock.str(s.name);
        lock.str(s.version);
        lock.platform_str(s.platform);
        assert!((s.source as usize) < lock.sources.len());
        for d in lock.deps_of(s) {
            lock.str(d.name);
            let _ = lock.requirements(d).count();
        }
        let _ = lock.full_name(s);
    }
    for src in &lock.sources {
        src.remotes.iter().for_each(|&r| drop(lock.str(r)));
        src.options.iter().for_each(|&(k, v)| drop((lock.str(k), lock.str(v))));
    }
    lock.platforms.iter().for_each(|&p| drop(lock.str(p)));
    for c in &lock.checksums {
        lock.str(c.name);
        c.value.map(|v| lock.str(v));
    }
}

fn parse_checked(bytes: &[u8]) {
    let strict = Lockfile::parse_bytes(bytes);
    match &strict {
        Ok(lock) => check_spans(lock),
        Err(e) => {
            let msg = e.message("Gemfile.lock");
            assert!(!msg.is_empty());
            if let Some(line) = e.line {
                assert!(line as usize <= bytes.iter().filter(|&&b| b == b'\n').count() + 1);
            }
        }
    }
    // The setup's lenient reading: what the strict parse accepts it reads the
    // same; otherwise it fails only where Bundler fails too, and whatever it
    // keeps is readable and goes through the frozen check without a panic.
    match Lockfile::parse_bytes_lenient(bytes) {
        Ok((lock, skipped)) => {
            check_spans(&lock);
            for d in &lock.dependencies {
                lock.str(d.dep.name);
            }
            if let Ok(strict) = &strict {
                assert!(skipped.is_empty());
                assert_eq!(strict.specs.len(), lock.specs.len());
            }
            for e in &skipped {
                assert!(e.bundler_skips_line());
                assert!(!e.brief("Gemfile.lock").is_empty());
            }
            let root = std::path::Path::new("/app");
            let _ = fastbundle_core::source::locked_sources(&lock, root);
            let _ = fastbundle_core::frozen::check(&[], &[], &lock, root);
        }
        // (A setup also refuses names RubyGems never installs, which the
        // strict parse reads as Bundler's parser does.)
        Err(e) => assert!((strict.is_err() || e.is_invalid_name()) && !e.bundler_skips_line()),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    InsertByte(usize, u8),
    Truncate(usize),
    Indent(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::InsertByte(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0u8..9).prop_map(|(a, n)| Mutation::Indent(a, n)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split('\n').map(|l| l.as_bytes().to_vec()).collect();
    for m in muts {
        let n = lines.len().max(1);
        match *m {
            Mutation::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Mutation::InsertByte(i, b) if !lines.is_empty() => {
                let line = &mut lines[i % n];
                let at = (i / n) % (line.len() + 1);
                line.insert(at, b);
            }
            Mutation::Truncate(i) if !lines.is_empty() => lines.truncate(i % n),
            Mutation::Indent(i, k) if !lines.is_empty() => {
                let line = &mut lines[i % n];
                let trimmed: Vec<u8> = line.iter().copied().skip_while(|&b| b == b' ').collect();
                *line = std::iter::repeat_n(b' ', k as usize).chain(trimmed).collect();
            }
            _ => {}
        }
    }
    lines.join(&b'\n')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_checked(&bytes);
    }

    #[test]
    fn random_lockfile_like_text_never_panics(
        lines in proptest::collection::vec("( {0,8})(GEM|GIT|PATH|specs:|remote: [a-z:/@]{0,12}|[a-z!()=<>~,. 0-9-]{0,24}|PLATFORMS|DEPENDENCIES|CHECKSUMS|BUNDLED WITH|RUBY VERSION|\t|<<<<<<<)", 0..40)
    ) {
        parse_checked(lines.join("\n").as_bytes());
        parse_checked(lines.join("\r\n").as_bytes());
    }

    #[test]
    fn mutated_real_lockfiles_never_panic(which in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..6)) {
        let files = fixtures();
        prop_assume!(!files.is_empty());
        let text = &files[which % files.len()];
        parse_checked(&apply(text, &muts));
    }

    #[test]
    fn rendered_models_parse_back(
        specs in proptest::collection::btree_map(
            "[a-z][a-z0-9_-]{0,12}",
            ("[0-9]{1,2}(\\.[0-9a-z]{1,3}){0,3}", proptest::option::of("(x86_64-linux|arm64-darwin|java|x64-mingw-ucrt|x86_64-linux-musl)"),
             proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", proptest::option::of("(~>|>=|=|<) [0-9]\\.[0-9]")), 0..4)),
            0..20),
        platforms in proptest::collection::vec("(ruby|x86_64-linux|java)", 0..3),
        crlf in any::<bool>(),
    ) {
        let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
        for (name, (version, platform, deps)) in &specs {
            match platform {
                Some(p) => text.push_str(&format!("    {name} ({version}-{p})\n")),
                None => text.push_str(&format!("    {name} ({version})\n")),
            }
            for (dep, req) in deps {
                match req {
                    Some(r) => text.push_str(&format!("      {dep} ({r})\n")),
                    None => text.push_str(&format!("      {dep}\n")),
                }
            }
        }
        text.push_str("\nPLATFORMS\n");
        for p in &platforms {
            text.push_str(&format!("  {p}\n"));
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let lock = Lockfile::parse(&text).unwrap();
        prop_assert_eq!(lock.specs.len(), specs.len());
        for (spec, (name, (version, platform, deps))) in lock.specs.iter().zip(&specs) {
            prop_assert_eq!(lock.str(spec.name), name.as_str());
            prop_assert_eq!(lock.str(spec.version), version.as_str());
            prop_assert_eq!(lock.platform_str(spec.platform), platform.as_deref().unwrap_or("ruby"));
            let got: Vec<(String, Vec<String>)> = lock.deps_of(spec).iter()
                .map(|d| (lock.str(d.name).to_string(), lock.requirements(d).map(String::from).collect()))
                .collect();
            let want: Vec<(String, Vec<String>)> = deps.iter()
                .map(|(n, r)| (n.clone(), r.iter().cloned().collect()))
                .collect();
            prop_assert_eq!(got, want);
        }
        let plats: Vec<&str> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
        prop_assert_eq!(plats, platforms.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

#[test]
fn a_100_megabyte_lockfile_parses_in_linear_time() {
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    let mut i = 0;
    while text.len() < 100 * 1024 * 1024 {
        text.push_str(&format!("    gem{i} (1.{i}.0)\n      dep{i} (>= 1.0, < 2)\n"));
        i += 1;
    }
    let lock = Lockfile::parse(&text).unwrap();
    assert_eq!(lock.specs.len(), i);
    // One very long line, and a huge unknown section: also fine.
    let long = format!("GEM\n  specs:\n    {} (1.0)\n", "a".repeat(50 << 20));
    assert_eq!(Lockfile::parse(&long).unwrap().specs.len(), 1);
    let mut dashes = String::from("GEM\n  specs:\n    a (");
    dashes.push_str(&"-".repeat(10 << 20));
    dashes.push_str(")\n");
    assert!(Lockfile::parse(&dashes).is_err());
}
