//! The throttle stores against each other and under concurrency: the Redis
//! store (`TEST_REDIS_URL`, cargo feature `redis`) answers exactly as the
//! in-process store and DRF's history do, two app instances on one Redis
//! share one budget, N concurrent requests against a budget of K admit
//! exactly K, and an unreachable Redis follows the outage policy without
//! delaying start-up.

#[cfg(feature = "redis")]
mod redis_store {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use auth_actix::throttling::{
        LocalThrottleStore, OutagePolicy, RedisThrottleStore, ThrottleStore,
    };
    use auth_core::throttling::Rate;
    use integration_tests::{redis_url, unique_name};

    fn run(case: impl std::future::Future<Output = ()>) {
        actix_web::rt::System::new().block_on(case);
    }

    fn store(url: &str, prefix: &str) -> RedisThrottleStore {
        RedisThrottleStore::new(url)
            .expect("a valid Redis URL")
            .key_prefix(prefix)
            .on_outage(OutagePolicy::Deny)
    }

    #[test]
    fn redis_answers_as_the_in_process_store_does() {
        let Some(url) = redis_url("redis_answers_as_the_in_process_store_does") else {
            return;
        };
        run(async move {
            let redis = store(&url, &format!("{}:", unique_name("throttle")));
            let local = LocalThrottleStore::default();
            let rate = Rate::new(3, 60);
            // Requests at these times (a refusal in the middle, the window
            // sliding, a fractional wait) on two keys.
            let times = [
                0.0, 0.25, 10.5, 11.0, 30.75, 60.0, 60.25, 60.5, 70.5, 71.0, 200.0, 200.1,
            ];
            for (i, now) in times.into_iter().enumerate() {
                let key = if i % 5 == 4 {
                    "throttle_user_2"
                } else {
                    "throttle_user_1"
                };
                let ours = local.hit(key, rate, now).await.unwrap();
                let theirs = redis.hit(key, rate, now).await.unwrap();
                assert_eq!(theirs.allowed, ours.allowed, "request {i} at {now}");
                assert_eq!(theirs.history_len, ours.history_len, "request {i} at {now}");
                assert_eq!(theirs.oldest, ours.oldest, "request {i} at {now}");
                assert_eq!(
                    theirs.wait(rate, now),
                    ours.wait(rate, now),
                    "request {i} at {now}"
                );
            }
        });
    }

    #[test]
    fn concurrent_requests_on_two_instances_admit_exactly_the_budget() {
        let Some(url) = redis_url("concurrent_requests_on_two_instances_admit_exactly_the_budget")
        else {
            return;
        };
        let prefix = format!("{}:", unique_name("throttle"));
        let rate = Rate::new(7, 60);
        let admitted = Arc::new(AtomicUsize::new(0));
        // Two "servers", each on its own thread and runtime with its own
        // connection, 40 concurrent requests each.
        let servers: Vec<_> = (0..2)
            .map(|_| {
                let (url, prefix, admitted) = (url.clone(), prefix.clone(), admitted.clone());
                std::thread::spawn(move || {
                    run(async move {
                        let redis = store(&url, &prefix);
                        let requests = (0..40).map(|i| {
                            let redis = redis.clone();
                            let admitted = admitted.clone();
                            actix_web::rt::spawn(async move {
                                let now = 1_000.0 + f64::from(i) * 0.001;
                                if redis
                                    .hit("throttle_anon_10.0.0.1", rate, now)
                                    .await
                                    .unwrap()
                                    .allowed
                                {
                                    admitted.fetch_add(1, Ordering::SeqCst);
                                }
                            })
                        });
                        for request in requests.collect::<Vec<_>>() {
                            request.await.unwrap();
                        }
                    })
                })
            })
            .collect();
        for server in servers {
            server.join().unwrap();
        }
        assert_eq!(admitted.load(Ordering::SeqCst), 7);
    }

    #[test]
    fn two_instances_recording_the_same_instant_count_twice() {
        let Some(url) = redis_url("two_instances_recording_the_same_instant_count_twice") else {
            return;
        };
        run(async move {
            let prefix = format!("{}:", unique_name("throttle"));
            let (one, two) = (store(&url, &prefix), store(&url, &prefix));
            let rate = Rate::new(2, 60);
            // Each instance's first request at the same instant: two requests, not one.
            assert!(one.hit("throttle_user_1", rate, 5.0).await.unwrap().allowed);
            let second = two.hit("throttle_user_1", rate, 5.0).await.unwrap();
            assert_eq!((second.allowed, second.history_len), (true, 2));
            assert!(!one.hit("throttle_user_1", rate, 5.0).await.unwrap().allowed);
        });
    }

    /// Counts the errors logged while it is the thread's subscriber.
    #[derive(Clone, Default)]
    struct ErrorCount(Arc<Mutex<Vec<String>>>);

    impl tracing::Subscriber for ErrorCount {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            if *event.metadata().level() == tracing::Level::ERROR {
                self.0
                    .lock()
                    .unwrap()
                    .push(event.metadata().target().to_owned());
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn an_unreachable_redis_follows_the_outage_policy() {
        // Nothing listens on port 1: runs without a Redis server.
        let url = "redis://127.0.0.1:1";
        let errors = ErrorCount::default();
        let _guard = tracing::subscriber::set_default(errors.clone());
        run(async {
            let started = Instant::now();
            let open = RedisThrottleStore::new(url).unwrap();
            let rate = Rate::new(1, 60);
            for i in 0..20 {
                let hit = open
                    .hit("throttle_anon_x", rate, f64::from(i))
                    .await
                    .unwrap();
                assert!(hit.allowed, "fail open by default");
            }
            let closed = RedisThrottleStore::new(url)
                .unwrap()
                .on_outage(OutagePolicy::Deny);
            for i in 0..5 {
                assert!(closed
                    .hit("throttle_anon_x", rate, f64::from(i))
                    .await
                    .is_err());
            }
            // After a failure Redis is not retried for a second: twenty-five
            // requests cost about two connection attempts, not twenty-five.
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{:?}",
                started.elapsed()
            );
        });
        let logged = errors.0.lock().unwrap().clone();
        assert_eq!(
            logged,
            ["auth_actix::throttling", "auth_actix::throttling"],
            "one error per outage and store"
        );
    }
}

#[cfg(not(feature = "redis"))]
#[test]
fn redis_store() {
    integration_tests::skip("throttling::redis_store", "needs the cargo feature redis");
}
