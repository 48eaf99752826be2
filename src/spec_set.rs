//! Bundler's `SpecSet`: which locked specs a set of dependencies needs
//! (`SpecSet#for`) and the order they are activated in (`SpecSet#sorted`).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::lockfile::Lockfile;
use crate::plan::PlannedSpec;
use crate::platform::{self, Platform, Rules};
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
    let dep_force: HashMap<&str, bool> =
        req.dependencies.iter().map(|d| (d.name.as_str(), d.force_ruby_platform)).collect();
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
        let picks = choose_variants(lock, idx, local, force, req.platform_rules());
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
fn choose_variants(lock: &Lockfile, idx: &[usize], local: &Platform, force_ruby: bool, rules: Rules) -> Vec<usize> {
    let cands: Vec<(&str, &str)> =
        idx.iter().map(|&i| (lock.str(lock.specs[i].version), lock.platform_str(lock.specs[i].platform))).collect();
    let dep_names =
        |k: usize| -> Vec<&str> { lock.deps_of(&lock.specs[idx[k]]).iter().map(|d| lock.str(d.name)).collect() };
    platform::select_best_variants(&cands, local, force_ruby, rules, |a, b| dep_names(a) == dep_names(b))
}

/// `SpecSet#sorted`: rake first, then a depth-first topological sort over
/// specs in name order, each spec's dependencies visited in name order.
/// Gems that depend on each other (a cycle of two or more; a gem depending
/// on itself is fine, as for Bundler's TSort) are an error naming the
/// cycle, as in Bundler.
pub fn sort_specs(specs: &mut Vec<PlannedSpec>, lock: &Lockfile, chosen: &[usize]) -> Result<(), Vec<String>> {
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
    // Depth-first, each node's dependencies in name order, a node after
    // them; iterative (a frame per node): a recursive walk overflows the
    // stack on a deep chain, a crash that no panic guard catches. A node
    // met again while its walk is open closes a cycle.
    let mut state = vec![0u8; specs.len()]; // 0 new, 1 visiting, 2 done
    let mut stack: Vec<(usize, usize, usize)> = Vec::new(); // (node, dependency, candidate)
    for &root in &nodes {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0, 0));
        while let Some(top) = stack.last_mut() {
            let (n, d, c) = *top;
            let Some(dep) = deps[n].get(d) else {
                state[n] = 2;
                order.push(n);
                stack.pop();
                continue;
            };
            match by_name.get(dep).and_then(|cands| cands.get(c)) {
                Some(&child) => {
                    top.2 += 1;
                    if state[child] == 1 && child != n {
                        let from = stack.iter().position(|&(m, _, _)| m == child).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[from..].iter().map(|&(m, _, _)| specs[m].name.clone()).collect();
                        cycle.push(specs[child].name.clone());
                        return Err(cycle);
                    }
                    if state[child] == 0 {
                        state[child] = 1;
                        stack.push((child, 0, 0));
                    }
                }
                None => {
                    top.1 += 1;
                    top.2 = 0;
                }
            }
        }
    }
    let mut seen = vec![false; specs.len()];
    order.retain(|&i| !std::mem::replace(&mut seen[i], true));
    let mut taken: Vec<Option<PlannedSpec>> = specs.drain(..).map(Some).collect();
    specs.extend(order.into_iter().filter_map(|i| taken[i].take()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sort_specs;
    use crate::lockfile::{Lockfile, SourceKind};
    use crate::plan::PlannedSpec;

    fn planned(lock: &Lockfile) -> (Vec<PlannedSpec>, Vec<usize>) {
        let specs = lock
            .specs
            .iter()
            .map(|s| PlannedSpec {
                name: lock.str(s.name).to_string(),
                version: lock.str(s.version).to_string(),
                platform: "ruby".into(),
                full_name: lock.full_name(s),
                full_gem_path: String::new(),
                loaded_from: None,
                load_paths: Vec::new(),
                gemspec_dir: None,
                gemspec_glob: None,
                source: SourceKind::Gem,
                default_gem: false,
            })
            .collect();
        (specs, (0..lock.specs.len()).collect())
    }

    #[test]
    fn sorts_a_dependency_chain_deeper_than_any_stack() {
        // g000000 -> g000001 -> ... : a recursive sort overflows the stack
        // (a crash no panic guard catches) long before this depth. (Under
        // Miri, a shorter chain: it checks memory, not depth.)
        let depth = if cfg!(miri) { 300 } else { 300_000 };
        let mut text = String::from("GEM\n  specs:\n");
        for i in 0..depth {
            text.push_str(&format!("    g{i:06} (1.0)\n"));
            if i + 1 < depth {
                text.push_str(&format!("      g{:06}\n", i + 1));
            }
        }
        let lock = Lockfile::parse(&text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        sort_specs(&mut specs, &lock, &chosen).unwrap();
        assert_eq!(specs.len(), depth);
        assert_eq!(specs[0].name, format!("g{:06}", depth - 1)); // dependencies first
        assert_eq!(specs[depth - 1].name, "g000000");
    }

    #[test]
    fn a_cycle_is_an_error_naming_it_a_self_dependency_is_not() {
        let text = "GEM\n  specs:\n    a (1.0)\n      b\n    b (1.0)\n      c\n    c (1.0)\n      a\n      c\n    rake (13.0)\n      rake\n";
        let lock = Lockfile::parse(text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        assert_eq!(sort_specs(&mut specs, &lock, &chosen), Err(vec!["a".into(), "b".into(), "c".into(), "a".into()]));

        let text = "GEM\n  specs:\n    a (1.0)\n      b\n    b (1.0)\n      c\n    c (1.0)\n      c\n    rake (13.0)\n      rake\n";
        let lock = Lockfile::parse(text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        sort_specs(&mut specs, &lock, &chosen).unwrap();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        // rake first; then a's depth-first order: c (reached through b) before b before a.
        assert_eq!(names, ["rake", "c", "b", "a"]);
    }
}
