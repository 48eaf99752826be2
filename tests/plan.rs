//! src/plan.rs over small apps written to a temp dir: a Gemfile.lock, gem
//! dirs holding RubyGems stub headers, settings. spec/setup_parity_spec.rb
//! and spec/setup_worlds_spec.rb compare whole setups with Bundler's.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use fastbundle_core::frozen::GemfileSource;
use fastbundle_core::plan::{plan, GemfileDependency, Plan, PlanError, Request};
use fastbundle_core::settings::SettingsEnv;
use fastbundle_core::source::Source;

struct App(PathBuf);

impl App {
    fn new() -> App {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fastbundle-plan-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("app")).unwrap();
        App(dir)
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).to_str().unwrap().to_owned()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// A spec file as `gem install` writes it; `with_dir` also creates
    /// `gems/<full_name>/`.
    fn install(&self, gem_dir: &str, name: &str, version: &str, with_dir: bool) {
        self.write(
            &format!("{gem_dir}/specifications/{name}-{version}.gemspec"),
            &format!("# -*- encoding: utf-8 -*-\n# stub: {name} {version} ruby lib\n\nGem::Specification.new do |s|\nend\n"),
        );
        if with_dir {
            fs::create_dir_all(self.0.join(format!("{gem_dir}/gems/{name}-{version}/lib"))).unwrap();
        }
    }

    /// A request for the Gemfile `gem "<name>"` per dependency, in the
    /// default group, with GEM_HOME = <tmp>/gem_home.
    fn request(&self, deps: &[&str], env: &[(&str, &str)]) -> Request {
        Request {
            root: self.path("app"),
            gemfile: self.path("app/Gemfile"),
            lockfile: self.path("app/Gemfile.lock"),
            dependencies: deps
                .iter()
                .map(|d| GemfileDependency {
                    name: d.to_string(),
                    requirements: vec![">= 0".into()],
                    groups: vec!["default".into()],
                    should_include: true,
                    ..Default::default()
                })
                .collect(),
            // `source "https://rubygems.org"`, as the lockfiles below say.
            sources: vec![GemfileSource {
                source: Source::Rubygems { remotes: vec!["https://rubygems.org/".into()] },
                global: true,
            }],
            settings_env: SettingsEnv {
                bundle_vars: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                user_home: Some(self.0.join("home")),
            },
            gem_path: vec![self.path("gem_home"), self.path("rubygems-integration/3.1.0")],
            gem_dir: self.path("gem_home"),
            default_dir: self.path("default"),
            platform: "x86_64-linux".into(),
            ruby_scope: "ruby/3.1.0".into(),
            extension_api_version: "3.1.0".into(),
            ..Default::default()
        }
    }

    fn plan(&self, deps: &[&str], env: &[(&str, &str)]) -> Result<Plan, PlanError> {
        plan(&self.request(deps, env))
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const LOCK_AB: &str = "GEM\n  remote: https://rubygems.org/\n  specs:\n    alpha (1.0.0)\n      beta\n    beta (2.0.0)\n\n\
PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  alpha\n\nBUNDLED WITH\n   2.3.15\n";

#[test]
fn a_debian_spec_without_gem_dir_still_counts() {
    // Debian's rubygems-integration dirs may hold a spec whose files live
    // in vendor_ruby; RubyGems and Bundler use it as it is.
    let app = App::new();
    app.write("app/Gemfile.lock", LOCK_AB);
    app.install("gem_home", "alpha", "1.0.0", true);
    app.install("rubygems-integration/3.1.0", "beta", "2.0.0", false);
    let plan = app.plan(&["alpha"], &[]).expect("plan");
    assert_eq!(
        plan.load_paths(),
        vec![app.path("gem_home/gems/alpha-1.0.0/lib"), app.path("rubygems-integration/3.1.0/gems/beta-2.0.0/lib")]
    );
}

#[test]
fn a_gem_dir_deleted_under_its_spec_is_an_error_naming_the_gem() {
    let app = App::new();
    app.write("app/Gemfile.lock", LOCK_AB);
    app.install("gem_home", "alpha", "1.0.0", true);
    app.install("gem_home", "beta", "2.0.0", false);
    match app.plan(&["alpha"], &[]) {
        Err(e @ PlanError::BrokenInstall { .. }) => assert!(e.message().contains("beta-2.0.0"), "{}", e.message()),
        other => panic!("expected BrokenInstall, got {other:?}"),
    }
}

#[test]
fn a_path_gem_lives_at_its_expanded_path() {
    let app = App::new();
    app.write(
        "app/Gemfile.lock",
        "PATH\n  remote: ../shared/./pgem/\n  specs:\n    pgem (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n\n\
         PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  pgem!\n\nBUNDLED WITH\n   2.3.15\n",
    );
    fs::create_dir_all(app.0.join("shared/pgem")).unwrap();
    let mut req = app.request(&["pgem"], &[]);
    req.dependencies[0].pinned = true;
    req.sources.push(GemfileSource {
        source: Source::Path {
            expanded_path: app.path("shared/pgem"),
            shown: "../shared/./pgem/".into(),
            version: None,
        },
        global: false,
    });
    req.dependencies[0].source = Some(1);
    let plan = plan(&req).expect("plan");
    let spec = &plan.specs[0];
    assert_eq!(spec.full_gem_path, app.path("shared/pgem"));
    assert_eq!(spec.gemspec_dir.as_deref(), Some(app.path("shared/pgem").as_str()));
}

#[test]
fn the_bundle_path_is_expanded_from_the_root() {
    let app = App::new();
    app.write("app/Gemfile.lock", LOCK_AB);
    app.install("shared/bundle/ruby/3.1.0", "alpha", "1.0.0", true);
    app.install("shared/bundle/ruby/3.1.0", "beta", "2.0.0", true);
    let plan = app.plan(&["alpha"], &[("BUNDLE_PATH", "../shared//bundle/")]).expect("plan");
    assert_eq!(plan.bundle_path, app.path("shared/bundle/ruby/3.1.0"));
    assert!(!plan.use_system_gems);
    assert_eq!(plan.load_paths()[0], app.path("shared/bundle/ruby/3.1.0/gems/alpha-1.0.0/lib"));
}

/// A setup reads Gemfile.lock twice: the prefetch thread (for the installed
/// specs of every locked gem) and the plan. A lockfile replaced in between
/// (`bundle update` in another shell, a deploy) must give the new lockfile's
/// answer, never the old gem list's: here the old one lacks gamma, so using
/// its prefetched index reported gamma as not installed.
#[test]
fn a_lockfile_replaced_after_the_prefetch_gets_the_new_answer() {
    let app = App::new();
    app.install("gem_home", "alpha", "1.0.0", true);
    app.install("gem_home", "beta", "2.0.0", true);
    app.install("gem_home", "gamma", "3.0.0", true);
    app.write("app/Gemfile.lock", LOCK_AB);
    let mut env = app.request(&[], &[]);
    env.dependencies.clear();
    let prefetched = fastbundle_core::plan::prefetch(env).expect("prefetch");
    let with_gamma = LOCK_AB.replace("      beta\n", "      beta\n      gamma\n").replace("    beta (2.0.0)\n", "    beta (2.0.0)\n    gamma (3.0.0)\n");
    app.write("app/Gemfile.lock", &with_gamma);
    let plan = fastbundle_core::plan::plan_with(&app.request(&["alpha"], &[]), Some(prefetched)).expect("plan");
    let names: Vec<&str> = plan.specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["beta", "gamma", "alpha"]);
}

#[test]
fn a_provided_gem_is_skipped_in_the_closure_like_bundler() {
    // fastbundle in an app's bundle: the running copy is the one used, so
    // its locked version need not be installed (nor its dependencies).
    let app = App::new();
    app.write(
        "app/Gemfile.lock",
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    alpha (1.0.0)\n      fastbundle (~> 0.1)\n    \
         fastbundle (0.0.9-x86_64-linux)\n      helper\n    helper (1.0.0)\n\nPLATFORMS\n  x86_64-linux\n\n\
         DEPENDENCIES\n  alpha\n  fastbundle\n\nBUNDLED WITH\n   2.3.15\n",
    );
    app.install("gem_home", "alpha", "1.0.0", true);
    let mut req = app.request(&["alpha", "fastbundle"], &[]);
    match plan(&req) {
        Err(PlanError::GemNotFound(missing)) => {
            assert_eq!(missing, vec!["fastbundle-0.0.9-x86_64-linux".to_string(), "helper-1.0.0".to_string()])
        }
        other => panic!("expected GemNotFound, got {other:?}"),
    }
    req.provided = vec!["fastbundle".into()];
    let planned = plan(&req).expect("plan");
    let names: Vec<&str> = planned.specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["alpha"]);
}
