//! Prints what a plan cache entry is keyed on and what it holds:
//! `cargo run --example plan_cache_dump -- ~/.cache/fastbundle/plan/<entry>`.

use fastbundle_core::plan_cache::{self, Input};

fn main() {
    let path = std::env::args().nth(1).expect("usage: plan_cache_dump ENTRY");
    let bytes = std::fs::read(&path).expect("readable entry");
    let entry = match plan_cache::decode(&bytes) {
        Ok(e) => e,
        Err(miss) => {
            eprintln!("{path}: {}", miss.0);
            std::process::exit(1);
        }
    };
    println!("{} bytes, {} specs, env names {:?}", bytes.len(), entry.plan.specs.len(), entry.env_names);
    for input in &entry.inputs {
        match input {
            Input::File { path, hash } => println!("file  {path} {}", if hash.is_some() { "" } else { "(absent)" }),
            Input::Stat { path, stamp } => println!("stat  {path} {}", if stamp.is_some() { "" } else { "(absent)" }),
            Input::Kind { path, kind } => println!("kind  {path} {kind:?}"),
        }
    }
}
