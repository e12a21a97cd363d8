//! Blocking work (queries, password hashing) off the actix worker threads:
//! [`run_blocking`] for work that can take long, [`run_query`] for one short
//! query.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use actix_web::web;
use auth_core::error::AuthError;
use auth_core::StoreError;
use tokio::sync::oneshot;

/// Run `work` on actix's blocking thread pool (`web::block`).
///
/// A store failure, or the blocking pool failing, becomes a 503
/// "Service temporarily unavailable, try again later." (logged): never an
/// anonymous pass, never a panic, never a 500 from `BlockingError`.
pub async fn run_blocking<T, F>(work: F) -> Result<T, AuthError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match web::block(work).await {
        Ok(result) => outcome(result),
        Err(err) => {
            tracing::error!(error = %err, "authentication blocking task failed");
            Err(AuthError::service_unavailable())
        }
    }
}

/// Run `work`, one short query (a token, a session's user, the session
/// store's reads and writes), off the worker thread. Failures are 503s
/// exactly as with [`run_blocking`].
///
/// Each worker thread keeps a queue of such queries, drained by as few
/// blocking tasks ("runners") as keep up; a runner takes queries one at a
/// time until the queue is empty. Under load, queries arriving while a runner
/// is busy join its queue instead of waking a thread each: one `web::block`
/// task per query wakes a pool thread and puts one to sleep again every time
/// (two futex calls and two context switches), which cost more than the query
/// itself. Measured with `scripts/bench/load.sh`, this halved the server's CPU
/// time per uncached token request.
///
/// A query never waits long for a slow neighbour: a new runner is started
/// whenever a query is queued, or a queued query's caller looks again (every
/// 500 µs while it waits), and no runner has begun a query within the last
/// 500 µs. A query that stalls (a database outage that makes the pool wait for
/// a connection, a custom store calling out) therefore delays the queries
/// queued behind it by about a millisecond, not by its duration.
pub async fn run_query<T, F>(work: F) -> Result<T, AuthError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let lane = LANE.with(Arc::clone);
    run_on(&lane, work).await
}

async fn run_on<T, F>(lane: &Arc<Lane>, work: F) -> Result<T, AuthError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match on_lane(lane, work).await {
        Some(result) => outcome(result),
        None => {
            // The job was dropped without sending: it panicked.
            tracing::error!("authentication query panicked");
            Err(AuthError::service_unavailable())
        }
    }
}

/// Run `work`, one short database operation, on this worker's query queue
/// (as [`run_query`] does); `None` if it panicked, or was dropped because the
/// runtime is shutting down.
pub(crate) async fn on_worker_lane<R, F>(work: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let lane = LANE.with(Arc::clone);
    on_lane(&lane, work).await
}

async fn on_lane<R, F>(lane: &Arc<Lane>, work: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (send, mut receive) = oneshot::channel();
    lane.submit(Box::new(move || {
        // The receiver may be gone (the request was dropped): nothing to do.
        let _ = send.send(work());
    }));
    // While waiting, look at the lane every `stall`: if no runner has begun a
    // job within it, the queue is stuck behind slow jobs and gets a new runner.
    let mut check = std::pin::pin!(actix_web::rt::time::sleep(lane.stall));
    let received = std::future::poll_fn(|cx| {
        if let Poll::Ready(received) = Pin::new(&mut receive).poll(cx) {
            return Poll::Ready(received);
        }
        while check.as_mut().poll(cx).is_ready() {
            lane.rescue();
            let next = actix_web::rt::time::Instant::now() + lane.stall;
            check.as_mut().reset(next);
        }
        Poll::Pending
    })
    .await;
    received.ok()
}

fn outcome<T>(result: Result<T, StoreError>) -> Result<T, AuthError> {
    result.map_err(|err| {
        tracing::error!(error = %err, "authentication store failed");
        AuthError::service_unavailable()
    })
}

/// How long a runner may spend on one query before queries arriving after it
/// get a runner of their own.
pub(crate) const STALL: Duration = Duration::from_micros(500);

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// The query queue of this (worker) thread.
    static LANE: Arc<Lane> = Arc::new(Lane::new(STALL));
}

/// One worker's queue of short queries and the runners draining it.
struct Lane {
    state: Mutex<LaneState>,
    stall: Duration,
}

#[derive(Default)]
struct LaneState {
    queue: VecDeque<Job>,
    /// Each live runner and when it began its current job (or was started).
    runners: Vec<(u64, Instant)>,
    /// Runners started so far.
    next_runner: u64,
}

impl Lane {
    fn new(stall: Duration) -> Self {
        Lane {
            state: Mutex::default(),
            stall,
        }
    }

    fn lock(&self) -> MutexGuard<'_, LaneState> {
        // Jobs run outside the lock and their panics are caught, so a poisoned
        // lock still holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `job`, and start a runner unless one began a job within `stall`.
    fn submit(self: &Arc<Self>, job: Job) {
        let runner = {
            let mut state = self.lock();
            state.queue.push_back(job);
            self.runner_needed(&mut state)
        };
        self.start(runner);
    }

    /// Start a runner if jobs are queued and none began a job within `stall`.
    fn rescue(self: &Arc<Self>) {
        let runner = {
            let mut state = self.lock();
            if state.queue.is_empty() {
                None
            } else {
                self.runner_needed(&mut state)
            }
        };
        self.start(runner);
    }

    /// A new runner's id (registered as beginning now), unless a runner
    /// began a job within `stall` and so will soon come back to the queue.
    fn runner_needed(&self, state: &mut LaneState) -> Option<u64> {
        let now = Instant::now();
        let busy = state
            .runners
            .iter()
            .any(|&(_, began)| now.saturating_duration_since(began) < self.stall);
        if busy {
            return None;
        }
        let id = state.next_runner;
        state.next_runner = state.next_runner.wrapping_add(1);
        state.runners.push((id, now));
        Some(id)
    }

    fn start(self: &Arc<Self>, runner: Option<u64>) {
        if let Some(id) = runner {
            let lane = Arc::clone(self);
            let guard = RunnerGuard { lane, id };
            // The handle is not awaited: results travel through each job's channel.
            drop(actix_web::rt::task::spawn_blocking(move || guard.run()));
        }
    }
}

/// A runner; dropping it (after its loop, or unrun when the runtime shuts
/// down) removes it from the lane, and the last one to go drops the jobs
/// still queued so that their callers stop waiting.
struct RunnerGuard {
    lane: Arc<Lane>,
    id: u64,
}

impl RunnerGuard {
    fn run(self) {
        loop {
            let job = {
                let mut state = self.lane.lock();
                let Some(job) = state.queue.pop_front() else {
                    state.runners.retain(|&(id, _)| id != self.id);
                    return;
                };
                let now = Instant::now();
                if let Some(slot) = state.runners.iter_mut().find(|(id, _)| *id == self.id) {
                    slot.1 = now;
                }
                job
            };
            // A panicking job drops its result sender: its caller gets a 503.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }
}

impl Drop for RunnerGuard {
    fn drop(&mut self) {
        // Normally already removed by `run`; if the task never ran, its queued
        // jobs are dropped with the lane's remaining ones only when nobody
        // else is left to run them.
        let orphaned: Vec<Job> = {
            let mut state = self.lane.lock();
            let before = state.runners.len();
            state.runners.retain(|&(id, _)| id != self.id);
            if state.runners.len() < before && state.runners.is_empty() {
                // The runtime is going away: fail the waiting queries rather
                // than leave them pending forever.
                state.queue.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        // Dropped outside the lock: each drops its caller's result sender.
        drop(orphaned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[actix_web::test]
    async fn results_and_failures_come_back() {
        assert_eq!(run_query(|| Ok(7)).await.unwrap(), 7);
        let err = run_query(|| -> Result<(), _> { Err(StoreError::UserNotFound) })
            .await
            .unwrap_err();
        assert_eq!(err.status(), 503);
        let err = run_query(|| -> Result<(), StoreError> { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.status(), 503);
        // The lane still works after a panic.
        assert_eq!(run_query(|| Ok("ok")).await.unwrap(), "ok");
    }

    /// A query on `lane` that holds its runner until the returned sender
    /// fires (or ten seconds pass), then answers `answer()`.
    fn held_query<T: Send + 'static>(
        lane: &Arc<Lane>,
        answer: impl FnOnce() -> T + Send + 'static,
    ) -> (
        std::sync::mpsc::Sender<()>,
        actix_web::rt::task::JoinHandle<Result<T, AuthError>>,
    ) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let lane = Arc::clone(lane);
        let query = actix_web::rt::spawn(async move {
            run_on(&lane, move || {
                let _ = held.recv_timeout(Duration::from_secs(10));
                Ok(answer())
            })
            .await
        });
        (release, query)
    }

    /// Queries arriving while a runner is busy join its queue: one runner
    /// drains a burst, one query after the other, never on the worker thread.
    #[actix_web::test]
    async fn a_burst_shares_one_runner() {
        let lane = Arc::new(Lane::new(Duration::from_secs(60)));
        let worker = std::thread::current().id();
        let (release, first) = held_query(&lane, || std::thread::current().id());
        actix_web::rt::task::yield_now().await;
        let lanes: Vec<_> = (0..31).map(|_| Arc::clone(&lane)).collect();
        let rest =
            futures_join_all(lanes.into_iter().map(|lane| async move {
                run_on(&lane, || Ok(std::thread::current().id())).await
            }));
        let rest = actix_web::rt::spawn(rest);
        // Release the first query once the others are all queued behind it.
        let queued = Instant::now();
        while lane.lock().queue.len() < 31 {
            assert!(queued.elapsed() < Duration::from_secs(10), "not queued");
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
        release.send(()).unwrap();
        let first = first.await.unwrap().unwrap();
        let rest = rest.await.unwrap();
        assert_ne!(first, worker);
        assert!(rest.into_iter().all(|t| t.unwrap() == first));
        let state = lane.lock();
        assert_eq!(state.next_runner, 1, "one runner for the whole burst");
        assert!(state.queue.is_empty() && state.runners.is_empty());
    }

    /// With no stall window every query that finds the runners busy gets one
    /// more: the queue never waits behind a running job.
    #[actix_web::test]
    async fn a_zero_window_starts_a_runner_per_busy_submit() {
        let lane = Arc::new(Lane::new(Duration::ZERO));
        let lanes: Vec<_> = (0..8).map(|i| (i, Arc::clone(&lane))).collect();
        let results = futures_join_all(
            lanes
                .into_iter()
                .map(|(i, lane)| async move { run_on(&lane, move || Ok(i)).await.unwrap() }),
        )
        .await;
        assert_eq!(results, (0..8).collect::<Vec<_>>());
        // At least one each; a waiting query's stall check may add more when
        // a loaded machine is slow to start them.
        let runners = lane.lock().next_runner;
        assert!(runners >= 8, "{runners}");
    }

    /// A stalled query does not hold back queries that arrive after the
    /// stall window: they get a runner of their own.
    #[actix_web::test]
    async fn a_stalled_query_does_not_block_later_ones() {
        let (release, slow) = held_query(&LANE.with(Arc::clone), || "slow");
        actix_web::rt::time::sleep(STALL * 4).await;
        let started = Instant::now();
        assert_eq!(run_query(|| Ok("fast")).await.unwrap(), "fast");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        release.send(()).unwrap();
        assert_eq!(slow.await.unwrap().unwrap(), "slow");
    }

    /// A query queued behind one that stalls, within the window, is rescued
    /// by a new runner instead of waiting for the stalled one to end.
    #[actix_web::test]
    async fn queued_queries_are_rescued_from_a_stalled_one() {
        let lane = Arc::new(Lane::new(STALL));
        let (release, slow) = held_query(&lane, || "slow");
        actix_web::rt::task::yield_now().await;
        // Queued at once, behind the stalled query: no runner of its own yet.
        let started = Instant::now();
        let fast = run_on(&lane, || Ok("fast")).await.unwrap();
        assert_eq!(fast, "fast");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // A second runner took it (a third if a loaded machine was slow to
        // start the second: the check repeats every `stall`).
        let runners = lane.lock().next_runner;
        assert!(runners >= 2, "{runners}");
        release.send(()).unwrap();
        assert_eq!(slow.await.unwrap().unwrap(), "slow");
    }

    /// Every job runs exactly once under concurrent submits from many tasks.
    #[actix_web::test]
    async fn every_job_runs_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let results = futures_join_all((0..500).map(|i| {
            let count = Arc::clone(&count);
            async move {
                if i % 50 == 0 {
                    actix_web::rt::time::sleep(Duration::from_millis(1)).await;
                }
                run_query(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                    Ok(i)
                })
                .await
                .unwrap()
            }
        }))
        .await;
        assert_eq!(results, (0..500).collect::<Vec<_>>());
        assert_eq!(count.load(Ordering::SeqCst), 500);
    }

    /// Polls every future to completion on this task (a tiny `join_all`).
    async fn futures_join_all<F: std::future::Future>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<F::Output> {
        let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
        let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut done = true;
            for (slot, result) in pending.iter_mut().zip(out.iter_mut()) {
                if let Some(future) = slot {
                    match future.as_mut().poll(cx) {
                        std::task::Poll::Ready(value) => {
                            *result = Some(value);
                            *slot = None;
                        }
                        std::task::Poll::Pending => done = false,
                    }
                }
            }
            if done {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        out.into_iter().map(|v| v.expect("completed")).collect()
    }
}
