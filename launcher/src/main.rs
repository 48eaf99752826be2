//! `bin/fastbundle`'s native half (`fastbundle binstubs` writes the
//! binstub): `fastbundle-launcher ROOT ARGS...`, ROOT being fastbundle's gem
//! root.
//!
//! `fastbundle exec CMD` through RubyGems' wrapper starts a Ruby only to set
//! ENV and exec CMD, and that start-up (RubyGems, then its activation of the
//! executable) costs more than CMD's own. Here `exec` sets the ENV the Ruby
//! parent (lib/fastbundle/cli/exec.rb) sets, from the facts it stored
//! (fastbundle_core::exec_facts) and the live settings, and execs CMD.
//! Whenever this cannot give that parent's answer exactly — no current
//! facts, an option it does not know, no Gemfile, a Ruby script the parent
//! would load in-process, a command line Ruby would hand to a shell — it
//! runs that parent instead (`ruby ROOT/exe/fastbundle ARGS`), and so for
//! every other command.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use fastbundle_core::cache_dir;
use fastbundle_core::exec_facts::{self, ExecFacts, ExecKey};
use fastbundle_core::paths::expand_path;
use fastbundle_core::plan::bundle_path;
use fastbundle_core::request::Request;
use fastbundle_core::settings::{Settings, SettingsEnv};

/// Bundler's EnvironmentPreserver keys, as runtime.rb's Environment has them.
const ORIGINAL_KEYS: [&str; 10] = [
    "BUNDLE_BIN_PATH",
    "BUNDLE_GEMFILE",
    "BUNDLER_VERSION",
    "GEM_HOME",
    "GEM_PATH",
    "MANPATH",
    "PATH",
    "RB_USER_INSTALL",
    "RUBYLIB",
    "RUBYOPT",
];
const INTENTIONALLY_NIL: &str = "BUNDLER_ENVIRONMENT_PRESERVER_INTENTIONALLY_NIL";
/// Set for a Ruby parent run in our place: store your facts (it removes it).
const STORE_FACTS: &str = "FASTBUNDLE_STORE_EXEC_FACTS";

fn main() -> ExitCode {
    let mut args: Vec<OsString> = env::args_os().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: fastbundle-launcher FASTBUNDLE_ROOT [ARGS...] (bin/fastbundle runs it)");
        return ExitCode::from(2);
    }
    let root = PathBuf::from(args.remove(0));
    let Some(ruby) = find_executable("ruby", &env::var("PATH").unwrap_or_default(), &cwd()) else {
        eprintln!("fastbundle: no ruby on PATH");
        return ExitCode::from(127);
    };
    let is_exec = args.first().is_some_and(|a| a == "exec");
    if is_exec {
        match plan_exec(&root, &ruby, &args[1..]) {
            Ok(exec) => return exec.run(),
            Err(why) if debug() => eprintln!("fastbundle-launcher: {why}: running the Ruby command"),
            Err(_) => {}
        }
    }
    let err = Command::new(&ruby)
        .arg(root.join("exe/fastbundle"))
        .args(&args)
        .envs(is_exec.then_some((STORE_FACTS, "1")))
        .exec();
    eprintln!("fastbundle: could not run {}: {err}", ruby.display());
    ExitCode::from(127)
}

/// FASTBUNDLE_DEBUG=1: say why the Ruby command answers.
fn debug() -> bool {
    env::var("FASTBUNDLE_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn cwd() -> String {
    env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What `fastbundle exec` would do: ENV to set, then the program to exec.
struct Exec {
    env: Vec<(String, String)>,
    cmd: String,
    program: String,
    args: Vec<OsString>,
}

impl Exec {
    /// CMD replaces this process; if it cannot, the Ruby parent's message
    /// and status (126 not executable, 127 not found).
    fn run(self) -> ExitCode {
        for (k, v) in &self.env {
            env::set_var(k, v);
        }
        let err = Command::new(&self.program).args(&self.args).exec();
        match err.raw_os_error() {
            Some(libc::EACCES | libc::ENOEXEC) => {
                eprintln!("fastbundle: not executable: {}", self.cmd);
                ExitCode::from(126)
            }
            Some(libc::ENOENT) => {
                eprintln!("fastbundle: command not found: {}", self.cmd);
                eprintln!("Install missing gem executables with `bundle install`");
                ExitCode::from(127)
            }
            _ => {
                eprintln!("fastbundle: {}: {err}", self.cmd);
                ExitCode::from(1)
            }
        }
    }
}

/// `None` wherever the Ruby parent must answer.
fn plan_exec(root: &Path, ruby: &Path, argv: &[OsString]) -> Result<Exec, &'static str> {
    let vars: Vec<(String, String)> =
        env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    let var = |name: &str| vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let cwd = env::current_dir().ok().and_then(|d| Some(d.to_str()?.to_string())).ok_or("no current directory")?;
    let (gemfile_option, cmd, args) = parse_options(argv, &cwd).ok_or("options it does not take")?;

    let key = ExecKey {
        ruby: fs::canonicalize(ruby).ok().and_then(|r| Some(r.to_str()?.to_string())).ok_or("ruby unresolved")?,
        root: root.to_str().ok_or("root not UTF-8")?.to_string(),
        env: exec_facts::key_env(vars.iter().cloned()),
    };
    let cache = cache_dir::locate_from_env().map_err(|_| "no cache")?;
    let facts = exec_facts::read(&cache, &key).ok_or("no current facts")?;

    let given = gemfile_option.or_else(|| var("BUNDLE_GEMFILE")).filter(|g| !g.is_empty());
    let gemfile = match &given {
        Some(g) if g.starts_with('~') => return Err("a Gemfile path under ~"),
        Some(g) => expand_path(g, Path::new(&cwd), None),
        None => find_gemfile(&cwd).ok_or("no Gemfile")?,
    };
    let app_root = Path::new(&gemfile).parent().and_then(Path::to_str).ok_or("no app root")?.to_string();
    let settings_env = SettingsEnv {
        bundle_vars: vars.iter().filter(|(k, _)| k.starts_with("BUNDLE_")).cloned().collect(),
        user_home: facts.user_home.as_ref().map(PathBuf::from),
    };
    let settings = Settings::load(Path::new(&app_root), &settings_env);
    let req = Request {
        root: app_root,
        settings_env,
        gem_dir: facts.gem_dir.clone(),
        ruby_scope: facts.ruby_scope.clone(),
        ..Default::default()
    };
    let (bundle_path, _) = bundle_path(&req, &settings);

    let mut env = Env { vars: vars.clone(), changed: Vec::new() };
    if given.is_some() && var("BUNDLE_GEMFILE") != given {
        env.set("BUNDLE_GEMFILE", given.clone().unwrap());
    }
    set_bundle_environment(&mut env, &facts, root, &gemfile, &bundle_path);

    let path = which(&cmd, &env.get("PATH").unwrap_or_default(), &cwd);
    if let Some(p) = &path {
        let ruby_script = shebang_head(p, &facts).ok_or("an empty or unreadable command")?;
        if ruby_script && !settings.bool("disable_exec_load") {
            return Err("a Ruby script, loaded in-process"); // after a setup in the Ruby parent
        }
    }
    let program = match path {
        Some(p) if facts.dot_slash_relative && !p.starts_with('/') => format!("./{p}"),
        Some(p) => p,
        None => cmd.clone(),
    };
    // Kernel.exec(cmd) with no arguments is a command line: Ruby splits it,
    // or hands it to /bin/sh when it has shell syntax.
    if args.is_empty() && !program.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./+,:@%=-".contains(&b)) {
        return Err("a command line");
    }
    Ok(Exec { env: env.changed, cmd, program, args: args.to_vec() })
}

/// exec's own options as cli/exec.rb parses them: `--gemfile` (its value,
/// expanded), the descriptor flags, `--`; then CMD and its arguments.
fn parse_options<'a>(argv: &'a [OsString], cwd: &str) -> Option<(Option<String>, String, &'a [OsString])> {
    let mut i = 0;
    let mut gemfile = None;
    while let Some(arg) = argv.get(i).filter(|a| a.as_bytes().starts_with(b"-")) {
        let arg = arg.to_str()?;
        i += 1;
        match arg {
            "--" => break,
            "--keep-file-descriptors" | "--no-keep-file-descriptors" => {}
            "--gemfile" => {
                let file = argv.get(i)?.to_str()?;
                i += 1;
                gemfile = Some(gemfile_option(file, cwd)?);
            }
            _ if arg.starts_with("--gemfile=") => gemfile = Some(gemfile_option(&arg["--gemfile=".len()..], cwd)?),
            _ => return None, // --help, or a usage error
        }
    }
    let cmd = argv.get(i)?.to_str()?.to_string();
    Some((gemfile, cmd, &argv[i + 1..]))
}

fn gemfile_option(file: &str, cwd: &str) -> Option<String> {
    (!file.is_empty() && !file.starts_with('~')).then(|| expand_path(file, Path::new(cwd), None))
}

/// FastBundle.find_gemfile without BUNDLE_GEMFILE: gems.rb or Gemfile here
/// or in a parent.
fn find_gemfile(cwd: &str) -> Option<String> {
    let mut dir = Path::new(cwd);
    loop {
        for name in ["gems.rb", "Gemfile"] {
            let path = dir.join(name);
            if path.is_file() {
                return Some(path.to_str()?.to_string());
            }
        }
        dir = dir.parent()?;
    }
}

/// The ENV as the Ruby parent sees it, and what it changed, in order.
struct Env {
    vars: Vec<(String, String)>,
    changed: Vec<(String, String)>,
}

impl Env {
    fn get(&self, name: &str) -> Option<String> {
        let changed = self.changed.iter().rev().find(|(k, _)| k == name);
        changed.or_else(|| self.vars.iter().rev().find(|(k, _)| k == name)).map(|(_, v)| v.clone())
    }

    fn set(&mut self, name: &str, value: String) {
        self.changed.push((name.to_string(), value));
    }

    fn set_unless_set(&mut self, name: &str, value: String) {
        if self.get(name).is_none() {
            self.set(name, value);
        }
    }
}

/// runtime.rb's Environment.preserve_original_env, then
/// .set_bundle_environment, on the facts.
fn set_bundle_environment(env: &mut Env, facts: &ExecFacts, root: &Path, gemfile: &str, bundle_path: &str) {
    let before_setup = env.get("BUNDLER_SETUP");
    for key in ORIGINAL_KEYS {
        let value = env.get(key).unwrap_or_else(|| INTENTIONALLY_NIL.to_string());
        env.set_unless_set(&format!("BUNDLER_ORIG_{key}"), value);
    }
    if let Some(version) = &facts.bundler_version {
        if let Some(bin) = &facts.bundle_bin_path {
            env.set("BUNDLE_BIN_PATH", bin.clone());
        }
        env.set("BUNDLER_VERSION", version.clone());
    }
    let lib = root.join("lib");
    let lib = lib.to_string_lossy();
    let setup = format!("{lib}/fastbundle/setup");
    if facts.sets_bundler_setup {
        env.set_unless_set("BUNDLER_ORIG_BUNDLER_SETUP", before_setup.unwrap_or_else(|| INTENTIONALLY_NIL.to_string()));
        env.set("BUNDLER_SETUP", setup.clone());
    }
    if !matches!(env.get("BUNDLE_GEMFILE"), Some(g) if !g.is_empty()) {
        env.set("BUNDLE_GEMFILE", gemfile.to_string());
    }
    let mut paths = ruby_split(&env.get("PATH").unwrap_or_default());
    paths.insert(0, format!("{bundle_path}/bin"));
    env.set("PATH", uniq(paths).join(":"));

    let setup_require = format!("-r{setup}");
    match env.get("RUBYOPT") {
        Some(opt) if opt.contains(&setup_require) => {}
        Some(opt) => env.set("RUBYOPT", format!("{setup_require} {opt}")),
        None => env.set("RUBYOPT", setup_require),
    }
    let mut rubylib = ruby_split(&env.get("RUBYLIB").unwrap_or_default());
    if facts.rubylibdir != lib {
        rubylib.insert(0, lib.into_owned());
    }
    env.set("RUBYLIB", uniq(rubylib).join(":"));
}

/// Ruby's `str.split(":")`: trailing empty fields dropped.
fn ruby_split(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split(':').map(str::to_string).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

fn uniq(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

/// cli/exec.rb's which: CMD itself if it is an executable file, else the
/// first executable CMD on PATH.
fn which(cmd: &str, path: &str, cwd: &str) -> Option<String> {
    if is_executable_file(Path::new(cmd)) {
        return Some(cmd.to_string());
    }
    find_executable(cmd, path, cwd).map(|p| p.to_string_lossy().into_owned())
}

fn find_executable(cmd: &str, path: &str, cwd: &str) -> Option<PathBuf> {
    if cmd.starts_with('~') {
        return None;
    }
    path.split(':').find_map(|dir| {
        let dir = dir.strip_prefix('"').and_then(|d| d.strip_suffix('"')).unwrap_or(dir);
        let base = if dir.starts_with('/') { dir.to_string() } else { format!("{cwd}/{dir}") };
        let candidate = PathBuf::from(expand_path(cmd, Path::new(&base), None));
        is_executable_file(&candidate).then_some(candidate)
    })
}

/// File.file? && File.executable? (for the effective user).
fn is_executable_file(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: c is a NUL-terminated path; faccessat only reads it.
    path.is_file() && unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) } == 0
}

/// Whether the file starts with a shebang Bundler loads in-process; `None`
/// when the Ruby parent must say (an empty or unreadable file).
fn shebang_head(path: &str, facts: &ExecFacts) -> Option<bool> {
    let shebangs =
        ["#!/usr/bin/env ruby\n", "#!/usr/bin/env jruby\n", "#!/usr/bin/env truffleruby\n", &facts.ruby_shebang];
    let max = shebangs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut head = Vec::with_capacity(max);
    fs::File::open(path).ok()?.take(max as u64).read_to_end(&mut head).ok()?;
    if head.is_empty() {
        return None;
    }
    Some(shebangs.iter().any(|s| head.starts_with(s.as_bytes())))
}
