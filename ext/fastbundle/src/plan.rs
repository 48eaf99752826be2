//! `FastBundle::Native.plan(request)`: the one call a setup makes into Rust.
//! The request is a Hash of plain data built by lib/fastbundle/runtime.rb;
//! the answer is a Hash of plain data (the plan) or a FastBundle error.

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::JoinHandle;

use fastbundle_core::frozen::GemfileSource;
use fastbundle_core::plan::{self, GemfileDependency, PlanError, Prefetched, Request};
use fastbundle_core::plan_cache::CachedSpec;
use fastbundle_core::settings::{Settings, SettingsEnv};
use fastbundle_core::source::{normalize_remote, Source};
use magnus::{function, prelude::*, Error, IntoValue, RArray, RHash, RModule, Ruby, Value};

use crate::{error, error_class, guard, redacted};

pub(crate) fn fetch<T: magnus::TryConvert>(hash: RHash, key: &str) -> Result<T, Error> {
    hash.fetch::<_, T>(key)
}

fn type_error(what: &str) -> Error {
    Error::new(Ruby::get().expect("ruby").exception_type_error(), format!("plan request: bad {what}"))
}

/// A Gemfile source row built by runtime.rb:
/// `["gem", remotes, global]`, `["git", uri, ref, branch, glob, submodules, version]`
/// or `["path", expanded_path, shown, version, global]`.
fn source_from(row: RArray) -> Result<GemfileSource, Error> {
    let kind: String = row.entry(0)?;
    Ok(match kind.as_str() {
        "gem" => {
            let remotes: Vec<String> = row.entry(1)?;
            GemfileSource {
                source: Source::Rubygems { remotes: remotes.iter().map(|r| normalize_remote(r)).collect() },
                global: row.entry(2)?,
            }
        }
        "git" => GemfileSource {
            source: Source::Git {
                uri: fastbundle_core::redact::redact(&row.entry::<String>(1)?).into_owned(),
                reference: row.entry(2)?,
                branch: row.entry(3)?,
                glob: row.entry(4)?,
                submodules: row.entry(5)?,
                version: row.entry(6)?,
            },
            global: false,
        },
        "path" => GemfileSource {
            source: Source::Path { expanded_path: row.entry(1)?, shown: row.entry(2)?, version: row.entry(3)? },
            global: row.entry(4)?,
        },
        _ => return Err(type_error("source")),
    })
}

pub(crate) fn request_from(hash: RHash) -> Result<Request, Error> {
    let deps: RArray = fetch(hash, "dependencies")?;
    let mut dependencies = Vec::with_capacity(deps.len());
    for d in deps.into_iter() {
        let d = RArray::from_value(d).ok_or_else(|| type_error("dependency"))?;
        dependencies.push(GemfileDependency {
            name: d.entry(0)?,
            requirements: d.entry(1)?,
            groups: d.entry(2)?,
            should_include: d.entry(3)?,
            pinned: d.entry(4)?,
            force_ruby_platform: d.entry(5)?,
            source: d.entry(6)?,
        });
    }
    let rows: RArray = fetch(hash, "sources")?;
    let mut sources = Vec::with_capacity(rows.len());
    for row in rows.into_iter() {
        sources.push(source_from(RArray::from_value(row).ok_or_else(|| type_error("source"))?)?);
    }
    let user_home = fetch::<Option<String>>(hash, "user_home")?.map(std::path::PathBuf::from);
    let settings_env = |vars: RHash| -> Result<SettingsEnv, Error> {
        Ok(SettingsEnv { bundle_vars: env_pairs(vars)?, user_home: user_home.clone() })
    };

    Ok(Request {
        root: fetch(hash, "root")?,
        gemfile: fetch(hash, "gemfile")?,
        lockfile: fetch(hash, "lockfile")?,
        dependencies,
        sources,
        optional_groups: fetch(hash, "optional_groups")?,
        groups: fetch(hash, "groups")?,
        settings_env: settings_env(fetch(hash, "env")?)?,

        gem_path: fetch(hash, "gem_path")?,
        gem_dir: fetch(hash, "gem_dir")?,
        default_specifications_dir: fetch(hash, "default_specifications_dir")?,
        default_dir: fetch(hash, "default_dir")?,
        platform: fetch(hash, "platform")?,
        ruby_scope: fetch(hash, "ruby_scope")?,
        extension_api_version: fetch(hash, "extension_api_version")?,
        rubygems_version: fetch(hash, "rubygems_version")?,
        provided: hash.lookup::<_, Option<Vec<String>>>("provided")?.unwrap_or_default(),
    })
}

/// The (name, value) pairs of a Hash of ENV entries (the BUNDLE_* ones).
pub(crate) fn env_pairs(vars: RHash) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    vars.foreach(|k: String, v: String| {
        pairs.push((k, v));
        Ok(magnus::r_hash::ForEach::Continue)
    })?;
    Ok(pairs)
}

/// The arguments of runtime.rb's LoadedSpec.new for each spec, one after
/// the other in one flat Array (LoadedSpec.from_rows): a setup makes every
/// object here, so there is none it does not need. Names are frozen (they
/// become Gem.loaded_specs keys, which a Hash would otherwise copy), the
/// platform "ruby" is one frozen String, and a full name that is
/// name-version[-platform], as it always is, is nil (LoadedSpec builds it
/// when asked). So is a gem's full_gem_path when its one load path is its
/// lib/, and its loaded_from is a code when it sits where RubyGems keeps
/// it (see [`loaded_from_code`]): two Strings fewer per gem of every boot.
pub(crate) fn spec_rows(ruby: &Ruby, specs: &[CachedSpec]) -> Result<RArray, Error> {
    let rows = ruby.ary_new_capa(specs.len() * ROW_FIELDS);
    let opt = |s: Option<&str>| s.map_or(ruby.qnil().as_value(), |f| ruby.str_new(f).as_value());
    let ruby_platform = ruby.str_new("ruby");
    ruby_platform.freeze();
    for s in specs {
        let name = ruby.str_new(s.name);
        name.freeze();
        let platform = if s.platform == "ruby" { ruby_platform } else { ruby.str_new(s.platform) };
        let derived = s.full_name.strip_prefix(s.name).and_then(|rest| rest.strip_prefix('-')).is_some_and(|rest| {
            rest.strip_prefix(s.version).is_some_and(|p| {
                if s.platform == "ruby" {
                    p.is_empty()
                } else {
                    p.strip_prefix('-') == Some(s.platform)
                }
            })
        });
        let row: [Value; ROW_FIELDS] = [
            name.as_value(),
            ruby.str_new(s.version).as_value(),
            platform.as_value(),
            if derived { ruby.qnil().as_value() } else { ruby.str_new(s.full_name).as_value() },
            if full_gem_path_derived(s) { ruby.qnil().as_value() } else { ruby.str_new(s.full_gem_path).as_value() },
            match loaded_from_code(s) {
                Some(code) => code.into_value_with(ruby),
                None => opt(s.loaded_from),
            },
            ruby.ary_from_iter(s.load_paths.iter().map(|p| ruby.str_new(p))).as_value(),
            opt(s.gemspec_dir),
            opt(s.gemspec_glob),
            ruby.to_symbol(s.source).as_value(),
            s.default_gem.into_value_with(ruby),
        ];
        for v in row {
            rows.push(v)?;
        }
    }
    Ok(rows)
}

/// A gem whose only load path is `<full_gem_path>/lib`: LoadedSpec takes
/// its full_gem_path from that path.
fn full_gem_path_derived(s: &CachedSpec) -> bool {
    s.gemspec_dir.is_none()
        && matches!(s.load_paths.as_slice(), [only] if only.strip_suffix("/lib") == Some(s.full_gem_path))
}

/// 0 when loaded_from is `<base>/specifications/<full name>.gemspec` and 1
/// when `<base>/specifications/default/<full name>.gemspec`, for a
/// full_gem_path of `<base>/gems/<full name>` (an installed and a default
/// gem): LoadedSpec#loaded_from builds it from those. None otherwise.
fn loaded_from_code(s: &CachedSpec) -> Option<i64> {
    let base = s.full_gem_path.strip_suffix(s.full_name)?.strip_suffix("/gems/")?;
    let rest = s.loaded_from?.strip_prefix(base)?.strip_prefix("/specifications/")?;
    let (code, file) = match rest.strip_prefix("default/") {
        Some(file) => (1, file),
        None => (0, rest),
    };
    (file.strip_suffix(".gemspec")? == s.full_name).then_some(code)
}

/// Arguments of LoadedSpec.new per spec in [`spec_rows`].
const ROW_FIELDS: usize = 11;

fn planned_rows(ruby: &Ruby, specs: &[plan::PlannedSpec]) -> Result<RArray, Error> {
    spec_rows(ruby, &specs.iter().map(CachedSpec::from_planned).collect::<Vec<_>>())
}

fn plan_to_ruby(ruby: &Ruby, plan: &plan::Plan) -> Result<RHash, Error> {
    let out = ruby.hash_new();
    out.aset("specs", planned_rows(ruby, &plan.specs)?)?;
    out.aset("preactivated", planned_rows(ruby, &plan.preactivated)?)?;
    out.aset("bundler", plan.bundler.as_ref().map(|(v, p)| ruby.ary_from_iter([ruby.str_new(v), ruby.str_new(p)])))?;
    out.aset("groups", ruby.ary_from_iter(plan.groups.iter().map(|g| ruby.to_symbol(g))))?;
    out.aset("bundle_path", plan.bundle_path.as_str())?;
    out.aset("use_system_gems", plan.use_system_gems)?;
    out.aset("frozen", plan.frozen)?;
    let path_deps = ruby.hash_new();
    for (full_name, deps) in &plan.path_dependencies {
        let list = ruby.ary_new_capa(deps.len());
        for (name, reqs) in deps {
            list.push(ruby.ary_new_from_values(&[
                ruby.str_new(name).as_value(),
                ruby.ary_from_iter(reqs.iter().map(|r| ruby.str_new(r))).as_value(),
            ]))?;
        }
        path_deps.aset(full_name.as_str(), list)?;
    }
    out.aset("path_dependencies", path_deps)?;
    Ok(out)
}

/// The file-system work started by `Native.prefetch`, running while Ruby
/// evaluates the Gemfile; taken by the next `Native.plan`.
pub(crate) static PREFETCH: Mutex<Option<JoinHandle<Option<Prefetched>>>> = Mutex::new(None);
/// What the last plan learned about man dirs, for `Native.man_dirs`.
pub(crate) static MAN_DIRS: Mutex<Option<HashMap<String, Option<String>>>> = Mutex::new(None);

/// `Native.prefetch(request)`: the request without its Gemfile part. Starts
/// a thread that reads the installed specs of every locked gem; returns
/// at once.
fn native_prefetch(ruby: &Ruby, request: RHash) -> Result<bool, Error> {
    guard(ruby, || Ok(start_prefetch(request_from(request)?)))
}

/// Starts the prefetch thread for a request without its Gemfile part;
/// false if no thread could be started (the plan then scans itself).
pub(crate) fn start_prefetch(env: Request) -> bool {
    let handle = std::thread::Builder::new().name("fastbundle-prefetch".into()).spawn(move || plan::prefetch(env));
    let started = handle.is_ok();
    *PREFETCH.lock().unwrap_or_else(|e| e.into_inner()) = handle.ok();
    started
}

fn native_plan(ruby: &Ruby, request: RHash) -> Result<RHash, Error> {
    guard(ruby, || {
        let req = request_from(request)?;
        let handle = PREFETCH.lock().unwrap_or_else(|e| e.into_inner()).take();
        // A prefetch thread that panicked just means scanning again here.
        let mut prefetched = handle.and_then(|h| h.join().ok()).flatten();
        if let Some(p) = prefetched.as_mut() {
            *MAN_DIRS.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::mem::take(&mut p.man_dirs));
        }
        match plan::plan_with(&req, prefetched) {
            Ok(p) => plan_to_ruby(ruby, &p),
            Err(e) => Err(plan_error(ruby, &e)),
        }
    })
}

fn plan_error(ruby: &Ruby, e: &PlanError) -> Error {
    let Some(names) = e.missing_gems() else { return error(ruby, e.class_name(), e.message()) };
    // GemNotFound#missing_gems: the full names as data, for `fastbundle check`.
    let raised = error_class(ruby, e.class_name()).new_instance((redacted(e.message()),)).and_then(|exception| {
        let list = ruby.ary_from_iter(names.iter().map(|n| ruby.str_new(n)));
        exception.funcall::<_, _, Value>("instance_variable_set", ("@missing_gems", list))?;
        Ok(exception)
    });
    match raised {
        Ok(exception) => exception.into(),
        Err(err) => err,
    }
}

/// `Native.man_dirs($LOAD_PATH)`: what `Runtime#setup_manpath` puts on MANPATH.
fn native_man_dirs(ruby: &Ruby, load_path: Vec<String>) -> Result<RArray, Error> {
    guard(ruby, || {
        let known = MAN_DIRS.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
        let dirs = fastbundle_core::manpath::man_dirs_known(&load_path, &known);
        Ok(ruby.ary_from_iter(dirs.iter().map(|d| ruby.str_new(d))))
    })
}

/// `FastBundle::Native.bundle_path(request)`: `Bundler.bundle_path` without
/// a setup. Reads root, env, user_home, gem_dir and ruby_scope of a request.
fn native_bundle_path(ruby: &Ruby, request: RHash) -> Result<String, Error> {
    guard(ruby, || {
        let req = Request {
            root: fetch(request, "root")?,
            settings_env: SettingsEnv {
                bundle_vars: env_pairs(fetch(request, "env")?)?,
                user_home: fetch::<Option<String>>(request, "user_home")?.map(Into::into),
            },
            gem_dir: fetch(request, "gem_dir")?,
            ruby_scope: fetch(request, "ruby_scope")?,
            ..Default::default()
        };
        let settings = Settings::load(std::path::Path::new(&req.root), &req.settings_env);
        Ok(plan::bundle_path(&req, &settings).0)
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("prefetch", function!(native_prefetch, 1))?;
    native.define_singleton_method("plan", function!(native_plan, 1))?;
    native.define_singleton_method("man_dirs", function!(native_man_dirs, 1))?;
    native.define_singleton_method("bundle_path", function!(native_bundle_path, 1))?;
    Ok(())
}
