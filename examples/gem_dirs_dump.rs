//! Prints the installed-spec index of some gem dirs as JSON lines, for
//! spec/gem_dirs_spec.rb to compare with RubyGems' own answers.
//!
//! cargo run --release --example gem_dirs_dump -q -- \
//!     --platform x86_64-linux --ext-api 3.1.0 [--rubygems 3.3.15] \
//!     [--default-specs DIR --default-base DIR] [--] GEM_DIR...
//!
//! One line per spec (`{"spec": …}`), then one per problem (`{"error": …}`).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use fastbundle_core::gem_dirs::{scan, DefaultSpecs, ScanRequest};
use fastbundle_core::platform::Rules;

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut platform, mut ext_api, mut default_specs, mut default_base) = (None, None, None, None);
    let mut dirs: Vec<String> = Vec::new();
    let mut rules = Rules::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--platform" => platform = args.next(),
            "--ext-api" => ext_api = args.next(),
            "--rubygems" => rules = Rules::for_rubygems(&args.next().unwrap_or_default()),
            "--default-specs" => default_specs = args.next(),
            "--default-base" => default_base = args.next(),
            "--" => dirs.extend(args.by_ref()),
            _ => dirs.push(arg),
        }
    }
    let (Some(platform), Some(ext_api)) = (platform, ext_api) else {
        eprintln!("usage: gem_dirs_dump --platform P --ext-api V [--default-specs DIR --default-base DIR] [--] DIR...");
        return ExitCode::from(2);
    };
    let dir_refs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let default = match (&default_specs, &default_base) {
        (Some(s), Some(b)) => Some(DefaultSpecs { specifications_dir: s, base_dir: b }),
        _ => None,
    };
    let index = scan(&ScanRequest {
        gem_dirs: &dir_refs,
        default_specs: default,
        platform: &platform,
        extension_api_version: &ext_api,
        rules,
        only_names: None,
    });

    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    let mut line = String::new();
    for s in &index.specs {
        line.clear();
        line.push_str("{\"spec\":{");
        for (key, value) in [
            ("name", &s.name),
            ("version", &s.version),
            ("platform", &s.platform),
            ("full_name", &s.full_name),
            ("full_gem_path", &s.full_gem_path),
            ("spec_file", &s.spec_file),
            ("gem_dir", &index.dirs[s.gem_dir]),
        ] {
            json_str(&mut line, key);
            line.push(':');
            json_str(&mut line, value);
            line.push(',');
        }
        line.push_str("\"require_paths\":[");
        for (i, p) in s.require_paths.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            json_str(&mut line, p);
        }
        line.push_str("],\"extension_dir\":");
        match &s.extension_dir {
            Some(d) => json_str(&mut line, d),
            None => line.push_str("null"),
        }
        for (key, value) in [
            ("extensions_built", s.extensions_built),
            ("default_gem", s.default_gem),
            ("has_stub", s.has_stub),
            ("full_gem_path_exists", s.full_gem_path_exists),
        ] {
            line.push(',');
            json_str(&mut line, key);
            line.push_str(if value { ":true" } else { ":false" });
        }
        line.push_str("}}\n");
        if w.write_all(line.as_bytes()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    for e in &index.errors {
        line.clear();
        line.push_str("{\"error\":{\"path\":");
        json_str(&mut line, &e.path);
        line.push_str(",\"kind\":");
        json_str(&mut line, &format!("{:?}", e.kind));
        line.push_str(",\"message\":");
        json_str(&mut line, &e.message());
        line.push_str("}}\n");
        if w.write_all(line.as_bytes()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if w.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
