//! Bundler's `SpecSet`: which locked specs a set of dependencies needs
//! (`SpecSet#for`) and the order they are activated in (`SpecSet#sorted`).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::lockfile::Lockfile;
use crate::plan::PlannedSpec;
use crate::platform::{self, Platform};
use crate::request::{GemfileDependency, Request};

/// `SpecSet#for`: breadth-first from the Gemfile's dependencies in the
/// requested groups (whose conditions hold) through the locked
/// dependencies, choosing each gem's variants for this platform. Returns
/// indexes into `lock.specs`, or the gems the lockfile lacks for this
/// platform ("name (needed by parent)").
pub fn resolve(
    req: &Request,
    lock: &Lockfile,
    groups: &[String],
    local: &Platform,
    force_ruby: bool,
) -> Result<Vec<usize>, Vec<String>> {
    let roots: Vec<&GemfileDependency> =
        req.dependencies.iter().filter(|d| d.should_include && d.groups.iter().any(|g| groups.contains(g))).collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in lock.specs.iter().enumerate() {
        by_name.entry(lock.str(s.name)).or_default().push(i);
    }
    let dep_force: HashMap<&str, bool> = req.dependencies.iter().map(|d| (d.name.as_str(), d.force_ruby_platform)).collect();
    // (name, the locked spec that needs it)
    let mut queue: VecDeque<(&str, Option<&str>)> = roots.iter().map(|d| (d.name.as_str(), None)).collect();
    let mut handled: HashSet<&str> = HashSet::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let needed_by = |name: &str, parent: Option<&str>| match parent {
        Some(p) => format!("{name} (needed by {p})"),
        None => name.to_string(),
    };
    while let Some((name, parent)) = queue.pop_front() {
        if name == "bundler" || req.provided.iter().any(|p| p == name) || !handled.insert(name) {
            continue;
        }
        let Some(idx) = by_name.get(name) else {
            missing.push(needed_by(name, parent));
            continue;
        };
        let force = force_ruby || dep_force.get(name).copied().unwrap_or(false);
        let picks = choose_variants(lock, idx, local, force);
        if picks.is_empty() {
            missing.push(needed_by(name, parent));
            continue;
        }
        chosen.extend(picks.iter().map(|&p| idx[p]));
        for d in lock.deps_of(&lock.specs[idx[picks[0]]]) {
            queue.push_back((lock.str(d.name), Some(name)));
        }
    }
    if missing.is_empty() {
        Ok(chosen)
    } else {
        Err(missing)
    }
}

/// Which of one gem's locked variants (`idx` into `lock.specs`) this
/// platform uses, as positions in `idx`.
fn choose_variants(lock: &Lockfile, idx: &[usize], local: &Platform, force_ruby: bool) -> Vec<usize> {
    let cands: Vec<(&str, &str)> =
        idx.iter().map(|&i| (lock.str(lock.specs[i].version), lock.platform_str(lock.specs[i].platform))).collect();
    let dep_names = |k: usize| -> Vec<&str> { lock.deps_of(&lock.specs[idx[k]]).iter().map(|d| lock.str(d.name)).collect() };
    platform::select_best_variants(&cands, local, force_ruby, |a, b| dep_names(a) == dep_names(b))
}

/// `SpecSet#sorted`: rake first, then a depth-first topological sort over
/// specs in name order, each spec's dependencies visited in name order.
pub fn sort_specs(specs: &mut Vec<PlannedSpec>, lock: &Lockfile, chosen: &[usize]) {
    let deps: Vec<Vec<&str>> = chosen
        .iter()
        .map(|&i| {
            let mut d: Vec<&str> = lock.deps_of(&lock.specs[i]).iter().map(|d| lock.str(d.name)).collect();
            d.sort_unstable();
            d
        })
        .collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in specs.iter().enumerate() {
        by_name.entry(s.name.as_str()).or_default().push(i);
    }
    let mut nodes: Vec<usize> = (0..specs.len()).collect();
    nodes.sort_by(|&a, &b| specs[a].name.cmp(&specs[b].name));
    let mut order: Vec<usize> = Vec::with_capacity(specs.len());
    if let Some(&rake) = by_name.get("rake").and_then(|v| v.first()) {
        order.push(rake);
    }
    let mut state = vec![0u8; specs.len()]; // 0 new, 1 visiting, 2 done
    fn visit(n: usize, deps: &[Vec<&str>], by_name: &HashMap<&str, Vec<usize>>, state: &mut [u8], order: &mut Vec<usize>) {
        if state[n] != 0 {
            return; // done, or a cycle (Bundler raises; lockfiles never have one)
        }
        state[n] = 1;
        for d in &deps[n] {
            for &c in by_name.get(d).map(Vec::as_slice).unwrap_or(&[]) {
                visit(c, deps, by_name, state, order);
            }
        }
        state[n] = 2;
        order.push(n);
    }
    for &n in &nodes {
        visit(n, &deps, &by_name, &mut state, &mut order);
    }
    let mut seen = vec![false; specs.len()];
    order.retain(|&i| !std::mem::replace(&mut seen[i], true));
    let mut taken: Vec<Option<PlannedSpec>> = specs.drain(..).map(Some).collect();
    specs.extend(order.into_iter().filter_map(|i| taken[i].take()));
}
