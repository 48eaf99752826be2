//! The plain-data request a setup sends across the boundary: what the
//! Gemfile says (its dependencies and sources) and the environment part
//! (settings env, gem dirs, platform). Shared by the plan and the frozen
//! check, so neither depends on the other for it.

use crate::frozen::GemfileSource;
use crate::platform::Rules;
use crate::settings::SettingsEnv;

/// One `gem` line (or `gemspec` dependency) of the Gemfile.
#[derive(Clone, Debug, Default)]
pub struct GemfileDependency {
    pub name: String,
    /// `Gem::Requirement#as_list`, e.g. `[">= 0"]`.
    pub requirements: Vec<String>,
    pub groups: Vec<String>,
    /// `Dependency#should_include?`: platform, install_if and env conditions.
    pub should_include: bool,
    /// The gem has an explicit source (git, path, `source:`), which the
    /// lockfile marks with `!`. (The frozen check compares `source` itself.)
    pub pinned: bool,
    pub force_ruby_platform: bool,
    /// Index into [`Request::sources`] of the gem's own source (`git:`,
    /// `path:`, a `source` block...), `None` for the default one.
    pub source: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub root: String,
    pub gemfile: String,
    pub lockfile: String,
    pub dependencies: Vec<GemfileDependency>,
    /// Every source the Gemfile declares, the global rubygems one included.
    pub sources: Vec<GemfileSource>,
    pub optional_groups: Vec<String>,
    /// `setup(:a, :b)`: exactly these groups; `None`: Bundler's default.
    pub groups: Option<Vec<String>>,
    pub settings_env: SettingsEnv,
    /// `Gem.path` and `Gem.dir` as this Ruby sees them.
    pub gem_path: Vec<String>,
    pub gem_dir: String,
    pub default_specifications_dir: Option<String>,
    pub default_dir: String,
    /// `Gem::Platform.local.to_s`, `RUBY_ENGINE/RbConfig ruby_version`,
    /// `Gem.extension_api_version`.
    pub platform: String,
    pub ruby_scope: String,
    pub extension_api_version: String,
    /// `Gem::VERSION`: which RubyGems' `Gem::Platform` (and its Bundler's
    /// platform choice) to answer as, see [`Request::platform_rules`].
    pub rubygems_version: String,
    /// Gems the running process provides itself (fastbundle, when an app
    /// bundles it): skipped in the closure as Bundler's `SpecSet#for` skips
    /// "bundler", so neither their locked version nor whether it is
    /// installed matters; the Ruby side adds the running copy.
    pub provided: Vec<String>,
}

impl Request {
    /// The platform rules of this process's RubyGems.
    pub fn platform_rules(&self) -> Rules {
        Rules::for_rubygems(&self.rubygems_version)
    }
}
