//! Spreading independent file-system calls over a few threads. A setup's
//! cost is dominated by syscalls (one spec file read per gem, one stat per
//! load-path entry), each a few microseconds of kernel time; on a machine
//! with several cores they overlap.

use std::sync::OnceLock;
use std::thread;

/// Below this many items per thread, a thread costs more than it saves.
const MIN_PER_THREAD: usize = 64;
const MAX_THREADS: usize = 4;

fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS))
}

/// `items.iter().map(f)`, in order, with per-thread state from `init`
/// (a reusable buffer, say). A panic in a worker propagates to the caller.
pub fn map_init<T, S, R>(items: &[T], init: impl Fn() -> S + Sync, f: impl Fn(&mut S, &T) -> R + Sync) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let threads = cores().min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        let mut state = init();
        return items.iter().map(|i| f(&mut state, i)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    thread::scope(|scope| {
        let (init, f) = (&init, &f);
        let mut chunks = items.chunks(chunk);
        // The calling thread takes the first chunk itself.
        let first = chunks.next().unwrap_or(&[]);
        let workers: Vec<_> = chunks
            .map(|c| {
                scope.spawn(move || {
                    let mut state = init();
                    c.iter().map(|i| f(&mut state, i)).collect::<Vec<R>>()
                })
            })
            .collect();
        let mut state = init();
        let mut out: Vec<R> = first.iter().map(|i| f(&mut state, i)).collect();
        for w in workers {
            match w.join() {
                Ok(part) => out.extend(part),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_at_every_size() {
        for n in [0, 1, 63, 64, 129, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let out = map_init(&items, || 0usize, |calls, i| {
                *calls += 1;
                i * 2
            });
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
