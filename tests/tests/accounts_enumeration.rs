//! No account enumeration on the login and reset endpoints of Djoser and dj-rest-auth: for a
//! known and an unknown account each pair of requests answers the same status and body, and
//! takes comparable time.
//!
//! Logins: a wrong password for an existing (or inactive) user runs one password hash; an
//! unknown username, and in dj-rest-auth an unknown email, run the same hash on a throwaway
//! value (Django's `ModelBackend` does it for usernames; dj-rest-auth answers an unknown email at
//! once, which this library does not copy). Resets: the email is sent after the answer, so a
//! slow mail server (here a backend that takes a second per message) cannot make the answer for
//! an existing address slower.
//!
//! Why these checks cannot flake: the hash is made the dominant cost (PBKDF2 with
//! [`ITERATIONS`], tens of milliseconds, against about a millisecond for the rest of a request);
//! the known and unknown requests alternate, so a load burst on the machine falls on both; the
//! median of [`SAMPLES`] discards the bursts that remain; and the bound is wide, a factor of
//! two or a few milliseconds, where the difference it guards against is a factor of ten or more
//! (a request without its hash, or with a one-second send in it).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::accounts::{our_rest_auth, ours};
use auth_actix::email::{EmailBackend, EmailMessage, Mailer, SendFuture};
use auth_core::{Hashers, NewUser};
use auth_testkit::app::TestApp;
use integration_tests::{connect, unique_name, TempSqlite};
use serde_json::{json, Value};

/// The PBKDF2 iterations: enough for the hash to dominate a request.
const ITERATIONS: u32 = 300_000;
/// Requests of each kind per pair.
const SAMPLES: usize = 15;
/// A difference of median times too small to tell anything: far below a hash (tens of
/// milliseconds) or a send (a second).
const SLACK: Duration = Duration::from_millis(5);
/// How long the slow backend takes to deliver one message.
const SLOW_SEND: Duration = Duration::from_secs(1);

/// A mail server that takes [`SLOW_SEND`] per message, and counts what it delivered.
#[derive(Clone, Default)]
struct SlowBackend(Arc<Mutex<usize>>);

impl EmailBackend for SlowBackend {
    fn send(&self, _message: EmailMessage) -> SendFuture {
        let delivered = self.0.clone();
        Box::pin(async move {
            actix_web::rt::time::sleep(SLOW_SEND).await;
            *delivered.lock().unwrap() += 1;
            Ok(())
        })
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// POSTs `known` and `unknown` to `path` alternately, [`SAMPLES`] times each: both answer
/// `expected`, and the median times are within a factor of two (or [`SLACK`]) of each other.
async fn same_answer_same_time(
    app: &TestApp,
    path: &str,
    known: Value,
    unknown: Value,
    expected: (u16, &str),
) -> (Duration, Duration) {
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..SAMPLES {
        for (i, body) in [&known, &unknown].into_iter().enumerate() {
            let started = Instant::now();
            let reply = app.post(path).json(body).await;
            times[i].push(started.elapsed());
            assert_eq!(
                (reply.status, reply.body.as_str()),
                expected,
                "{path} {body}"
            );
        }
    }
    let [known_times, unknown_times] = times;
    let (k, u) = (median(known_times), median(unknown_times));
    // Within a factor of two, or a few milliseconds apart (requests that hash nothing take about
    // a millisecond, where scheduling noise alone can exceed a factor of two).
    let close = |a: Duration, b: Duration| a <= b * 2 || a.saturating_sub(b) < SLACK;
    assert!(
        close(k, u) && close(u, k),
        "{path}: median {k:?} for {known} against {u:?} for {unknown}"
    );
    (k, u)
}

#[test]
fn logins_and_resets_take_the_same_time_for_unknown_accounts() {
    let db = TempSqlite::new();
    let store = connect(&db.url()).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let name = unique_name("enum");
    let email = format!("{name}@example.com");
    let mut new = NewUser::new(name.clone(), Some("a-Long-pass-42".into()));
    new.email = email.clone();
    store.create_user(new).unwrap();
    let inactive = unique_name("off");
    let mut new = NewUser::new(inactive.clone(), Some("a-Long-pass-42".into()));
    new.is_active = false;
    store.create_user(new).unwrap();
    let nobody = unique_name("nobody");
    let nobody_email = format!("{nobody}@example.com");
    let slow = SlowBackend::default();
    actix_web::rt::System::new().block_on(async {
        let djoser = ours(&store, Mailer::new(slow.clone())).await;
        let rest_auth = our_rest_auth(&store, Mailer::new(slow.clone())).await;
        let djoser_bad = r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#;
        for (app, path, known, unknown) in [
            (
                &djoser,
                "/auth/token/login/",
                json!({"username": name, "password": "wrong"}),
                json!({"username": nobody, "password": "wrong"}),
            ),
            (
                &djoser,
                "/auth/token/login/",
                json!({"username": inactive, "password": "a-Long-pass-42"}),
                json!({"username": nobody, "password": "a-Long-pass-42"}),
            ),
            (
                &rest_auth,
                "/dj-rest-auth/login/",
                json!({"username": name, "password": "wrong"}),
                json!({"username": nobody, "password": "wrong"}),
            ),
            (
                &rest_auth,
                "/dj-rest-auth/login/",
                json!({"email": email, "password": "wrong"}),
                json!({"email": nobody_email, "password": "wrong"}),
            ),
        ] {
            same_answer_same_time(app, path, known, unknown, (400, djoser_bad)).await;
        }

        let sent_before = *slow.0.lock().unwrap();
        for (app, path, expected) in [
            (&djoser, "/auth/users/reset_password/", (204, "")),
            (
                &rest_auth,
                "/dj-rest-auth/password/reset/",
                (200, r#"{"detail":"Password reset e-mail has been sent."}"#),
            ),
        ] {
            let (k, _) = same_answer_same_time(
                app,
                path,
                json!({"email": email}),
                json!({"email": nobody_email}),
                expected,
            )
            .await;
            // Had the answer waited for the send, every one would have taken a second at least:
            // a certainty, not a guess about the machine's speed.
            assert!(k < SLOW_SEND, "{path}: {k:?}");
        }
        // The emails did go out, after the answers.
        let deadline = Instant::now() + SLOW_SEND * 3;
        while *slow.0.lock().unwrap() < sent_before + 2 * SAMPLES && Instant::now() < deadline {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(*slow.0.lock().unwrap(), sent_before + 2 * SAMPLES);
    });
}
