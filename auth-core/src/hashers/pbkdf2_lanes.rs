//! A small hashing engine that runs concurrent PBKDF2-HMAC-SHA256 checks interleaved on SHA-NI.
//!
//! One PBKDF2 chain is latency-bound: every iteration is two dependent SHA-256 compressions, and
//! each compression is a chain of dependent `sha256rnds2` instructions, so the core's SHA unit is
//! idle most of the time. Independent chains can fill those gaps ([`super::sha256_lanes`]): two
//! chains interleaved take about as long as one. Only concurrent password checks (many clients
//! on Basic auth or login at once) are independent, so they are brought together here.
//!
//! The engine is as many threads as [`std::thread::available_parallelism`], started on first use
//! and named `pbkdf2-lanes-N`, sharing a FIFO queue of jobs (one PBKDF2 output block each: the
//! HMAC states, `U_1` and the remaining iterations). Each thread keeps up to
//! [`LANES`] jobs in flight and runs them interleaved in chunks of
//! [`CHUNK`] iterations (under a millisecond), so a job that arrives while others run joins a
//! free lane soon; finished jobs go back to their callers, free lanes are refilled from the
//! queue, and a thread with nothing to do sleeps. A lone job runs on a one-lane loop, which is no
//! slower than hashing on the caller's thread.
//!
//! The caller blocks until its result arrives (password checks already run on blocking threads,
//! never on an async worker). Nothing here can leave a caller waiting forever: when no engine
//! thread can be started, when the last one has exited, or when the job is dropped before its
//! result is sent (an engine thread that panicked drops its jobs), the caller gets `None` and
//! computes the result itself, with the same answer.

use super::sha256_lanes::{Chain, ShaNi, LANES};
use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Iterations an engine thread runs before handing back finished jobs and taking new ones
/// (about 0.7 ms with one or two lanes on a 3 GHz core).
pub(crate) const CHUNK: u32 = 8192;

/// Below this many iterations a check is cheap enough that the hand-off to another thread is not
/// worth it: it runs on the caller's thread.
pub(crate) const MIN_ROUNDS: u32 = 10_000;

/// `rounds` more iterations on `chain` (with `chain.acc` holding `U_1 ^ ... ^ U_j` so far) on
/// the shared engine, returning the final `acc`; `None` when the engine is unavailable or lost the
/// job (the caller then computes it itself).
pub(crate) fn run(chain: Chain, rounds: u32) -> Option<[u32; 8]> {
    static ENGINE: OnceLock<Option<Arc<Pool>>> = OnceLock::new();
    let pool = ENGINE.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        Pool::start(threads)
    });
    pool.as_ref()?.run(chain, rounds)
}

/// One PBKDF2 output block in progress, with where its result goes.
struct Job {
    chain: Chain,
    remaining: u32,
    reply: SyncSender<[u32; 8]>,
}

/// The queue and how many threads serve it (0: none left, so nothing may be queued).
struct Queue {
    jobs: VecDeque<Job>,
    live: usize,
}

/// The engine: a job queue and the threads that drain it.
struct Pool {
    sha: ShaNi,
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Pool {
    /// A pool with up to `threads` threads; `None` without SHA-NI or when no thread started.
    fn start(threads: usize) -> Option<Arc<Pool>> {
        let pool = Arc::new(Pool::new(ShaNi::detect()?));
        for index in 0..threads.max(1) {
            // Counted before the thread runs, so that it can never see itself as the last one
            // while another is still being started.
            pool.lock().live += 1;
            let worker = Arc::clone(&pool);
            let spawned = std::thread::Builder::new()
                .name(format!("pbkdf2-lanes-{index}"))
                .spawn(move || worker.work());
            if let Err(error) = spawned {
                pool.lock().live -= 1;
                tracing::warn!(%error, "could not start a PBKDF2 engine thread");
                break;
            }
        }
        let live = pool.lock().live;
        (live > 0).then_some(pool)
    }

    /// A pool with no threads yet.
    fn new(sha: ShaNi) -> Pool {
        Pool {
            sha,
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                live: 0,
            }),
            ready: Condvar::new(),
        }
    }

    /// The queue. Nothing panics while holding it, but if something did the queue itself is
    /// still sound (jobs are only pushed and popped whole).
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue a job and wait for its result.
    fn run(&self, chain: Chain, rounds: u32) -> Option<[u32; 8]> {
        let (reply, result) = sync_channel(1);
        {
            let mut queue = self.lock();
            if queue.live == 0 {
                return None;
            }
            queue.jobs.push_back(Job {
                chain,
                remaining: rounds,
                reply,
            });
        }
        self.ready.notify_one();
        result.recv().ok()
    }

    /// An engine thread: fill free lanes from the queue, run a chunk on every lane, hand back the
    /// finished jobs; sleep while there is nothing to do.
    fn work(&self) {
        let _exit = Exit(self);
        let mut chains: Vec<Chain> = Vec::with_capacity(LANES);
        let mut jobs: Vec<(u32, SyncSender<[u32; 8]>)> = Vec::with_capacity(LANES);
        loop {
            {
                let mut queue = self.lock();
                loop {
                    while chains.len() < LANES {
                        let Some(job) = queue.jobs.pop_front() else {
                            break;
                        };
                        chains.push(job.chain);
                        jobs.push((job.remaining, job.reply));
                    }
                    if !chains.is_empty() {
                        break;
                    }
                    queue = self
                        .ready
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            let rounds = jobs
                .iter()
                .map(|(remaining, _)| *remaining)
                .fold(CHUNK, u32::min);
            self.sha.pbkdf2_rounds(&mut chains, rounds);
            let mut lane = chains.len();
            while lane > 0 {
                lane -= 1;
                jobs[lane].0 -= rounds;
                if jobs[lane].0 == 0 {
                    let chain = chains.swap_remove(lane);
                    let (_, reply) = jobs.swap_remove(lane);
                    #[cfg(test)]
                    tests::FINISHED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // The caller may have gone away; then nobody needs the result.
                    let _ = reply.send(chain.acc);
                }
            }
        }
    }
}

/// Dropped when an engine thread ends (only by panicking): the last one to go drops every queued
/// job, so that their callers stop waiting and compute the results themselves.
struct Exit<'a>(&'a Pool);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.live = queue.live.saturating_sub(1);
        if queue.live == 0 {
            queue.jobs.clear();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::pbkdf2_hmac::SHA256;
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Jobs the engine threads have finished (across all tests in this process).
    pub(crate) static FINISHED: AtomicU64 = AtomicU64::new(0);

    fn reference(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
        let mut out = [0u8; 32];
        ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut out);
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Many checks at once from 16 threads, with different passwords, salts and round counts,
    /// so that lanes finish at different times and are refilled from the queue.
    #[test]
    fn concurrent_jobs_match_the_reference() {
        if ShaNi::detect().is_none() {
            return;
        }
        let before = FINISHED.load(Ordering::Relaxed);
        let threads: Vec<_> = (0..16u32)
            .map(|t| {
                std::thread::spawn(move || {
                    for j in 0..3u32 {
                        let password = format!("password {t} {j}").repeat((t % 5) as usize + 1);
                        let salt = format!("salt{t}-{j}").repeat((j % 3) as usize * 7 + 1);
                        let rounds = MIN_ROUNDS + t * 1_237 + j * 3_001;
                        let mut out = [0u8; 32];
                        SHA256.pbkdf2(password.as_bytes(), salt.as_bytes(), rounds, &mut out);
                        assert_eq!(
                            out,
                            reference(password.as_bytes(), salt.as_bytes(), rounds),
                            "thread {t} job {j}"
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(
            FINISHED.load(Ordering::Relaxed) - before >= 48,
            "the jobs did not go through the engine"
        );
    }

    /// RFC 7914 section 11's second vector, whose first 32 bytes are a one-block PBKDF2 with
    /// enough iterations for the engine.
    #[test]
    fn rfc7914_vector_through_the_engine() {
        if ShaNi::detect().is_none() {
            return;
        }
        let before = FINISHED.load(Ordering::Relaxed);
        let mut out = [0u8; 32];
        SHA256.pbkdf2(b"Password", b"NaCl", 80000, &mut out);
        assert_eq!(
            hex(&out),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
        );
        assert!(FINISHED.load(Ordering::Relaxed) > before);
    }

    /// A chain as the caller hands it over: the HMAC states and `U_1`.
    fn first_chain(password: &[u8], salt: &[u8]) -> Chain {
        let mut u1 = [0u8; 32];
        ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, 1, &mut u1);
        let words: [u32; 8] =
            core::array::from_fn(|i| u32::from_be_bytes(u1[4 * i..4 * i + 4].try_into().unwrap()));
        let (inner, outer) = SHA256.hmac_states(password);
        Chain {
            inner,
            outer,
            u: words,
            acc: words,
        }
    }

    fn bytes(words: [u32; 8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (dst, word) in out.chunks_exact_mut(4).zip(words) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// A private pool gives the same answers as the reference, for a lone job and for more
    /// jobs than it has lanes.
    #[test]
    fn private_pool_matches_the_reference() {
        let Some(pool) = Pool::start(1) else {
            return;
        };
        let lone = pool.run(first_chain(b"pw", b"salt"), 11_000 - 1).unwrap();
        assert_eq!(bytes(lone), reference(b"pw", b"salt", 11_000));
        std::thread::scope(|scope| {
            let pool = &pool;
            for n in 0..5u32 {
                scope.spawn(move || {
                    let password = format!("pw{n}");
                    let rounds = 2 + n * CHUNK / 2;
                    let acc = pool
                        .run(first_chain(password.as_bytes(), b"s"), rounds - 1)
                        .unwrap();
                    assert_eq!(bytes(acc), reference(password.as_bytes(), b"s", rounds));
                });
            }
        });
    }

    /// Without engine threads nothing is queued, and a job dropped before it ran (as when its
    /// thread panics) releases its caller with `None`.
    #[test]
    fn lost_jobs_fall_back_to_the_caller() {
        let Some(sha) = ShaNi::detect() else {
            return;
        };
        let pool = Pool::new(sha);
        assert_eq!(pool.run(Chain::default(), 5), None);
        assert!(pool.lock().jobs.is_empty());

        // One pretend thread that never runs a job, then exits.
        pool.lock().live = 1;
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| pool.run(Chain::default(), 5));
            while pool.lock().jobs.is_empty() {
                std::thread::yield_now();
            }
            drop(Exit(&pool));
            assert_eq!(waiting.join().unwrap(), None);
        });
        assert!(pool.lock().jobs.is_empty());
        assert_eq!(pool.run(Chain::default(), 5), None);
    }

    /// The caller-side fallback gives the right answer when the engine is unavailable.
    #[test]
    fn inline_fallback_matches_the_reference() {
        let mut out = [0u8; 32];
        SHA256.pbkdf2_inline(b"pw", b"salt", MIN_ROUNDS + 7, &mut out);
        assert_eq!(out, reference(b"pw", b"salt", MIN_ROUNDS + 7));
    }
}
