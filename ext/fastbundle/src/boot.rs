//! The plan cache across the boundary (src/plan_cache.rs has the rules).
//!
//! - `Native.boot(request)`: the first and, on a hit, only call of a setup.
//!   Returns `[plan, nil]` from the cache entry for this app and request,
//!   or `[nil, why]` after starting the prefetch thread for the cold path.
//! - `Native.store_plan(request, extras, plan)`: after a cold setup
//!   succeeded, keeps its answer keyed on what it was computed from.
//! - `Native.cache_dir(sub)`: a trusted, private directory under the cache
//!   root for the other caches (compiled files), or nil.
//! - `Native.plan_entry_problem(path)`: why a plan entry file is not sound,
//!   or nil (for checks after the fact; specs).

use std::sync::Mutex;
use std::time::SystemTime;

use fastbundle_core::cache_dir;
use fastbundle_core::manpath;
use fastbundle_core::plan_cache::{self, CachedPlan, CachedSpec, Entry, Extras, Owned};
use fastbundle_core::request::Request;
use fastbundle_core::sealed;
use magnus::{function, prelude::*, Error, RArray, RHash, RModule, RString, Ruby, Value};

use crate::guard;
use crate::plan::{request_from, spec_rows, start_prefetch, MAN_DIRS};

/// When the current boot began (before anything it is keyed on was read).
static BOOT_STARTED: Mutex<Option<SystemTime>> = Mutex::new(None);

const PLAN_DIR: &str = "plan";

fn strings(hash: RHash, key: &str) -> Result<Vec<String>, Error> {
    Ok(hash.lookup::<_, Option<Vec<String>>>(key)?.unwrap_or_default())
}

fn native_boot(ruby: &Ruby, request: RHash) -> Result<RArray, Error> {
    guard(ruby, || {
        *BOOT_STARTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(SystemTime::now());
        let req = request_from(request)?;
        let facts = strings(request, "facts")?;
        let why = match cached(&req, &facts) {
            Ok(bytes) => match plan_cache::lookup(&bytes, &req, &facts) {
                Ok(entry) => {
                    let plan = plan_to_ruby(ruby, &entry.plan)?;
                    return Ok(ruby.ary_new_from_values(&[plan.as_value(), ruby.qnil().as_value()]));
                }
                Err(miss) => miss.0,
            },
            Err(why) => why,
        };
        let mut env = req;
        env.dependencies.clear();
        env.sources.clear();
        start_prefetch(env);
        Ok(ruby.ary_new_from_values(&[ruby.qnil().as_value(), ruby.str_new(&why).as_value()]))
    })
}

/// The bytes of this request's entry, or why there are none.
fn cached(req: &Request, _facts: &[String]) -> Result<Vec<u8>, String> {
    let root = cache_dir::locate_from_env().map_err(|e| e.describe())?;
    let dir = root.join(PLAN_DIR);
    // A root that is not ours is named as such, with or without a plan dir.
    if root.exists() {
        cache_dir::trusted(&root).map_err(|e| e.describe())?;
    }
    if !dir.exists() {
        return Err("no cache entry yet".into());
    }
    cache_dir::trusted(&dir).map_err(|e| e.describe())?;
    plan_cache::read_entry(&dir, &plan_cache::entry_name(req)).map_err(|m| m.0)
}

fn plan_to_ruby(ruby: &Ruby, plan: &CachedPlan) -> Result<RHash, Error> {
    let out = ruby.hash_new();
    out.aset("specs", spec_rows(ruby, &plan.specs)?)?;
    out.aset("preactivated", spec_rows(ruby, &plan.preactivated)?)?;
    out.aset("default_gems", spec_rows(ruby, &plan.default_gems)?)?;
    out.aset("bundler", plan.bundler.map(|(v, p)| ruby.ary_from_iter([ruby.str_new(v), ruby.str_new(p)])))?;
    out.aset("groups", ruby.ary_from_iter(plan.groups.iter().map(|g| ruby.to_symbol(g))))?;
    out.aset("bundle_path", plan.bundle_path)?;
    out.aset("use_system_gems", plan.use_system_gems)?;
    out.aset("frozen", plan.frozen)?;
    out.aset("path_dependencies", ruby.hash_new())?;
    out.aset("warnings", ruby.ary_from_iter(plan.warnings.iter().map(|w| ruby.str_new(w))))?;
    out.aset("ruby", ruby.str_from_slice(plan.ruby))?;
    out.aset("cached", true)?;
    // Native.man_dirs answers the plan's own entries from the entry.
    let mut known: std::collections::HashMap<String, Option<String>> =
        plan.specs.iter().flat_map(|s| s.load_paths.iter()).map(|p| ((*p).to_string(), None)).collect();
    for (path, man) in &plan.man_dirs {
        known.insert((*path).to_string(), Some((*man).to_string()));
    }
    *MAN_DIRS.lock().unwrap_or_else(|e| e.into_inner()) = Some(known);
    Ok(out)
}

/// A spec row of runtime.rb (see crate::plan::spec_rows), owned.
struct Row {
    fields: [Option<String>; 10],
    load_paths: Vec<String>,
    default_gem: bool,
}

fn row_from(value: Value) -> Result<Row, Error> {
    let row = RArray::from_value(value).ok_or_else(|| bad("spec row"))?;
    let text = |i: usize| -> Result<Option<String>, Error> {
        let v: Value = row.entry(i as isize)?;
        if v.is_nil() {
            Ok(None)
        } else {
            Ok(Some(v.funcall::<_, _, RString>("to_s", ())?.to_string()?))
        }
    };
    let (name, version, platform) = (text(0)?, text(1)?, text(2)?);
    // A row from spec_rows leaves out a full name it can derive.
    let full_name = text(3)?.or_else(|| {
        let (n, v) = (name.as_deref()?, version.as_deref()?);
        Some(match platform.as_deref() {
            None | Some("ruby") => format!("{n}-{v}"),
            Some(p) => format!("{n}-{v}-{p}"),
        })
    });
    Ok(Row {
        fields: [name, version, platform, full_name, text(4)?, text(5)?, None, text(7)?, text(8)?, text(9)?],
        load_paths: row.entry(6)?,
        default_gem: row.entry(10)?,
    })
}

impl Row {
    fn spec(&self) -> CachedSpec<'_> {
        let f = |i: usize| self.fields[i].as_deref();
        CachedSpec {
            name: f(0).unwrap_or(""),
            version: f(1).unwrap_or(""),
            platform: f(2).unwrap_or("ruby"),
            full_name: f(3).unwrap_or(""),
            full_gem_path: f(4).unwrap_or(""),
            loaded_from: f(5),
            load_paths: self.load_paths.iter().map(String::as_str).collect(),
            gemspec_dir: f(7),
            gemspec_glob: f(8),
            source: f(9).unwrap_or("gem"),
            default_gem: self.default_gem,
        }
    }
}

fn bad(what: &str) -> Error {
    Error::new(Ruby::get().expect("ruby").exception_type_error(), format!("store_plan: bad {what}"))
}

fn rows(hash: RHash, key: &str) -> Result<Vec<Row>, Error> {
    let list: RArray = hash.fetch(key)?;
    list.into_iter().map(row_from).collect()
}

/// What `store_plan` did, for FASTBUNDLE_DEBUG.
fn native_store_plan(ruby: &Ruby, request: RHash, extras: RHash, plan: RHash) -> Result<String, Error> {
    guard(ruby, || {
        let Some(since) = *BOOT_STARTED.lock().unwrap_or_else(|e| e.into_inner()) else {
            return Ok("not stored: no boot to key it on".into());
        };
        let req = request_from(request)?;
        let extras = Extras {
            facts: strings(request, "facts")?,
            files: strings(extras, "files")?,
            tested: strings(extras, "tested")?,
            dirs: strings(extras, "dirs")?,
            code: strings(extras, "code")?,
            env_names: strings(extras, "env_names")?,
        };
        let specs = rows(plan, "specs")?;
        let preactivated = rows(plan, "preactivated")?;
        let default_gems = rows(plan, "default_gems")?;
        let bundler: Option<(String, String)> = plan.fetch("bundler")?;
        let groups: Vec<String> = strings(plan, "groups")?;
        let bundle_path: String = plan.fetch("bundle_path")?;
        let warnings = strings(plan, "warnings")?;
        let ruby_data: RString = plan.fetch("ruby")?;
        // SAFETY: the bytes are copied before any Ruby code can run.
        let ruby_data = unsafe { ruby_data.as_slice() }.to_vec();

        let dir = match cache_dir::locate_from_env().and_then(|root| cache_dir::prepare(&root, PLAN_DIR)) {
            Ok(dir) => dir,
            Err(e) => return Ok(format!("not stored: {}", e.describe())),
        };
        let owned = Owned::for_request(&req);
        let inputs = match plan_cache::inputs(&req, &extras, &owned, since) {
            Ok(inputs) => inputs,
            Err(path) => return Ok(format!("not stored: {path} changed while this boot read it, or cannot be read")),
        };
        let specs: Vec<CachedSpec> = specs.iter().map(Row::spec).collect();
        let load_paths: Vec<&str> = specs.iter().flat_map(|s| s.load_paths.iter().copied()).collect();
        let man_dirs = manpath::man_dir_of_each(&load_paths);
        let mut man: Vec<(&str, &str)> =
            man_dirs.iter().filter_map(|(p, m)| m.as_deref().map(|m| (p.as_str(), m))).collect();
        man.sort_unstable();
        let entry = Entry {
            facts: plan_cache::facts_digest(&req, &extras.facts),
            bundle_env: plan_cache::bundle_env_digest(&req),
            env_names: extras.env_names.iter().map(String::as_str).collect(),
            env_digest: plan_cache::env_digest(&extras.env_names),
            inputs,
            plan: CachedPlan {
                specs,
                preactivated: preactivated.iter().map(Row::spec).collect(),
                default_gems: default_gems.iter().map(Row::spec).collect(),
                groups: groups.iter().map(String::as_str).collect(),
                bundle_path: &bundle_path,
                use_system_gems: plan.fetch("use_system_gems")?,
                frozen: plan.fetch("frozen")?,
                bundler: bundler.as_ref().map(|(v, p)| (v.as_str(), p.as_str())),
                man_dirs: man,
                warnings: warnings.iter().map(String::as_str).collect(),
                ruby: &ruby_data,
            },
        };
        let name = plan_cache::entry_name(&req);
        Ok(match plan_cache::write_entry(&dir, &name, &plan_cache::encode(&entry)) {
            Ok(()) => format!("stored {}", dir.join(&name).display()),
            Err(e) => format!("not stored: {e}"),
        })
    })
}

/// `Native.cache_dir(sub)`: `<cache root>/<sub>`, created private, or nil
/// when there is no trusted cache (FASTBUNDLE_CACHE=0, no absolute
/// location, a shared or uncreatable directory).
fn native_cache_dir(ruby: &Ruby, sub: String) -> Result<Option<String>, Error> {
    guard(ruby, || {
        Ok(cache_dir::locate_from_env()
            .and_then(|root| cache_dir::prepare(&root, &sub))
            .ok()
            .map(|d| d.to_string_lossy().into_owned()))
    })
}

/// `Native.read_cache_file(path)`: the payload of a sealed cache file
/// (src/sealed.rs), or nil if it is missing, damaged or not ours alone.
fn native_read_cache_file(ruby: &Ruby, path: String) -> Result<Option<RString>, Error> {
    guard(ruby, || Ok(sealed::read(std::path::Path::new(&path)).map(|b| ruby.str_from_slice(&b))))
}

/// `Native.write_cache_file(path, payload)`: writes it sealed, atomically;
/// false if it could not be written.
fn native_write_cache_file(ruby: &Ruby, path: String, payload: RString) -> Result<bool, Error> {
    guard(ruby, || {
        // SAFETY: copied before any Ruby code runs.
        let bytes = unsafe { payload.as_slice() }.to_vec();
        Ok(sealed::write(std::path::Path::new(&path), &bytes).is_ok())
    })
}

/// `Native.plan_entry_problem(path)`: nil if the plan entry file at `path`
/// is whole, of this build and decodes; else why not (for checks of a
/// cache dir, never on the boot path).
fn native_plan_entry_problem(ruby: &Ruby, path: String) -> Result<Option<String>, Error> {
    guard(ruby, || {
        let path = std::path::Path::new(&path);
        let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
            return Ok(Some("not a file path".into()));
        };
        Ok(match plan_cache::read_entry(dir, name) {
            Ok(bytes) => plan_cache::decode(&bytes).err().map(|m| m.0),
            Err(m) => Some(m.0),
        })
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("plan_entry_problem", function!(native_plan_entry_problem, 1))?;
    native.define_singleton_method("read_cache_file", function!(native_read_cache_file, 1))?;
    native.define_singleton_method("write_cache_file", function!(native_write_cache_file, 2))?;
    native.define_singleton_method("boot", function!(native_boot, 1))?;
    native.define_singleton_method("store_plan", function!(native_store_plan, 3))?;
    native.define_singleton_method("cache_dir", function!(native_cache_dir, 1))?;
    Ok(())
}
