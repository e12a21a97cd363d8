//! Blocking work (queries, password hashing) off the actix worker threads:
//! [`run_blocking`] for work that can take long, [`run_query`] for one short
//! query.
//!
//! Both give back the job's own error type, so a caller answers its domain
//! errors itself (a duplicate username, a missing user) and lets `?` turn
//! the rest into the 503 (`From<StoreError> for AuthError`). When the
//! blocking pool itself fails, or the job panics, the error is
//! [`JobError::unavailable`].

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

/// The error type of a blocking job: what it becomes when the job could not
/// run to the end (the blocking pool failed, the job panicked, the runtime
/// is shutting down).
pub trait JobError: Send + 'static {
    /// The job did not finish; `why` is for the log.
    fn unavailable(why: &str) -> Self;
}

impl JobError for StoreError {
    fn unavailable(why: &str) -> Self {
        StoreError::Unavailable(why.to_owned())
    }
}

impl JobError for AuthError {
    fn unavailable(why: &str) -> Self {
        tracing::error!("blocking job failed: {why}");
        AuthError::service_unavailable()
    }
}

/// Run `work` on actix's blocking thread pool (`web::block`).
///
/// The job's error comes back as it is: match the domain errors you answer
/// and `?` the rest, which for a [`StoreError`] is a logged 503 "Service
/// temporarily unavailable, try again later." (never an anonymous pass,
/// never a panic, never a 500 from `BlockingError`).
pub async fn run_blocking<T, E, F>(work: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: JobError,
{
    match web::block(work).await {
        Ok(result) => result,
        Err(err) => Err(E::unavailable(&format!("the blocking pool failed: {err}"))),
    }
}

/// Run `work`, one short query (a token, a session's user, the session
/// store's reads and writes), off the worker thread. Errors come back as
/// with [`run_blocking`].
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
pub async fn run_query<T, E, F>(work: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: JobError,
{
    let queue = QUERY_QUEUE.with(Arc::clone);
    run_on(&queue, work).await
}

async fn run_on<T, E, F>(queue: &Arc<QueryQueue>, work: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: JobError,
{
    match on_queue(queue, work).await {
        Some(result) => result,
        // The job was dropped without sending: it panicked.
        None => Err(E::unavailable("a query panicked")),
    }
}

/// Run `work`, one short database operation, on this worker's query queue
/// (as [`run_query`] does); `None` if it panicked, or was dropped because the
/// runtime is shutting down.
pub(crate) async fn run_query_raw<R, F>(work: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let queue = QUERY_QUEUE.with(Arc::clone);
    on_queue(&queue, work).await
}

async fn on_queue<R, F>(queue: &Arc<QueryQueue>, work: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (send, mut receive) = oneshot::channel();
    queue.submit(Box::new(move || {
        // The receiver may be gone (the request was dropped): nothing to do.
        let _ = send.send(work());
    }));
    // While waiting, look at the queue every `stall`: if no runner has begun a
    // job within it, the queue is stuck behind slow jobs and gets a new runner.
    let mut check = std::pin::pin!(actix_web::rt::time::sleep(queue.stall));
    let received = std::future::poll_fn(|cx| {
        if let Poll::Ready(received) = Pin::new(&mut receive).poll(cx) {
            return Poll::Ready(received);
        }
        while check.as_mut().poll(cx).is_ready() {
            queue.rescue();
            let next = actix_web::rt::time::Instant::now() + queue.stall;
            check.as_mut().reset(next);
        }
        Poll::Pending
    })
    .await;
    received.ok()
}

/// How long a runner may spend on one query before queries arriving after it
/// get a runner of their own.
pub(crate) const STALL: Duration = Duration::from_micros(500);

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// The query queue of this (worker) thread.
    static QUERY_QUEUE: Arc<QueryQueue> = Arc::new(QueryQueue::new(STALL));
}

/// One worker's queue of short queries and the runners draining it.
struct QueryQueue {
    state: Mutex<QueueState>,
    stall: Duration,
}

#[derive(Default)]
struct QueueState {
    queue: VecDeque<Job>,
    /// Each live runner and when it began its current job (or was started).
    runners: Vec<(u64, Instant)>,
    /// Runners started so far.
    next_runner: u64,
}

impl QueryQueue {
    fn new(stall: Duration) -> Self {
        QueryQueue {
            state: Mutex::default(),
            stall,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
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
    fn runner_needed(&self, state: &mut QueueState) -> Option<u64> {
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
            let queue = Arc::clone(self);
            let guard = RunnerGuard { queue, id };
            // The handle is not awaited: results travel through each job's channel.
            drop(actix_web::rt::task::spawn_blocking(move || guard.run()));
        }
    }
}

/// A runner; dropping it (after its loop, or unrun when the runtime shuts
/// down) removes it from the queue, and the last one to go drops the jobs
/// still queued so that their callers stop waiting.
struct RunnerGuard {
    queue: Arc<QueryQueue>,
    id: u64,
}

impl RunnerGuard {
    fn run(self) {
        loop {
            let job = {
                let mut state = self.queue.lock();
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
        // jobs are dropped with the queue's remaining ones only when nobody
        // else is left to run them.
        let orphaned: Vec<Job> = {
            let mut state = self.queue.lock();
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
        assert_eq!(run_query(|| Ok::<_, StoreError>(7)).await.unwrap(), 7);
        // A domain error comes back as it is, for the caller to answer.
        let err = run_query(|| -> Result<(), _> { Err(StoreError::UserNotFound) })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UserNotFound), "{err}");
        // Left unanswered, `?` makes it the 503.
        assert_eq!(AuthError::from(err).status(), 503);
        let err = run_query(|| -> Result<(), StoreError> { panic!("boom") })
            .await
            .unwrap_err();
        assert!(err.is_unavailable(), "{err}");
        let err = run_query(|| -> Result<(), AuthError> { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.status(), 503);
        // The queue still works after a panic.
        assert_eq!(run_query(|| Ok::<_, StoreError>("ok")).await.unwrap(), "ok");
    }

    /// A query on `queue` that holds its runner until the returned sender
    /// fires (or ten seconds pass), then answers `answer()`.
    fn held_query<T: Send + 'static>(
        queue: &Arc<QueryQueue>,
        answer: impl FnOnce() -> T + Send + 'static,
    ) -> (
        std::sync::mpsc::Sender<()>,
        actix_web::rt::task::JoinHandle<Result<T, AuthError>>,
    ) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let queue = Arc::clone(queue);
        let query = actix_web::rt::spawn(async move {
            run_on(&queue, move || {
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
        let queue = Arc::new(QueryQueue::new(Duration::from_secs(60)));
        let worker = std::thread::current().id();
        let (release, first) = held_query(&queue, || std::thread::current().id());
        actix_web::rt::task::yield_now().await;
        let queues: Vec<_> = (0..31).map(|_| Arc::clone(&queue)).collect();
        let rest = futures_join_all(queues.into_iter().map(|queue| async move {
            run_on(&queue, || Ok::<_, StoreError>(std::thread::current().id())).await
        }));
        let rest = actix_web::rt::spawn(rest);
        // Release the first query once the others are all queued behind it.
        let queued = Instant::now();
        while queue.lock().queue.len() < 31 {
            assert!(queued.elapsed() < Duration::from_secs(10), "not queued");
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
        release.send(()).unwrap();
        let first = first.await.unwrap().unwrap();
        let rest = rest.await.unwrap();
        assert_ne!(first, worker);
        assert!(rest.into_iter().all(|t| t.unwrap() == first));
        let state = queue.lock();
        assert_eq!(state.next_runner, 1, "one runner for the whole burst");
        assert!(state.queue.is_empty() && state.runners.is_empty());
    }

    /// With no stall window every query that finds the runners busy gets one
    /// more: the queue never waits behind a running job.
    #[actix_web::test]
    async fn a_zero_window_starts_a_runner_per_busy_submit() {
        let queue = Arc::new(QueryQueue::new(Duration::ZERO));
        let queues: Vec<_> = (0..8).map(|i| (i, Arc::clone(&queue))).collect();
        let results = futures_join_all(queues.into_iter().map(|(i, queue)| async move {
            run_on(&queue, move || Ok::<_, StoreError>(i))
                .await
                .unwrap()
        }))
        .await;
        assert_eq!(results, (0..8).collect::<Vec<_>>());
        // At least one each; a waiting query's stall check may add more when
        // a loaded machine is slow to start them.
        let runners = queue.lock().next_runner;
        assert!(runners >= 8, "{runners}");
    }

    /// A stalled query does not hold back queries that arrive after the
    /// stall window: they get a runner of their own.
    #[actix_web::test]
    async fn a_stalled_query_does_not_block_later_ones() {
        let (release, slow) = held_query(&QUERY_QUEUE.with(Arc::clone), || "slow");
        actix_web::rt::time::sleep(STALL * 4).await;
        let started = Instant::now();
        assert_eq!(
            run_query(|| Ok::<_, StoreError>("fast")).await.unwrap(),
            "fast"
        );
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
        let queue = Arc::new(QueryQueue::new(STALL));
        let (release, slow) = held_query(&queue, || "slow");
        actix_web::rt::task::yield_now().await;
        // Queued at once, behind the stalled query: no runner of its own yet.
        let started = Instant::now();
        let fast = run_on(&queue, || Ok::<_, StoreError>("fast"))
            .await
            .unwrap();
        assert_eq!(fast, "fast");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // A second runner took it (a third if a loaded machine was slow to
        // start the second: the check repeats every `stall`).
        let runners = queue.lock().next_runner;
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
                    Ok::<_, StoreError>(i)
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
