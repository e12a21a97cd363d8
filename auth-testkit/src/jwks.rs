//! [`Issuer`]: a JSON Web Key Set served on loopback for the `JWK_URL`
//! tests, answering what the test sets and counting the requests.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the issuer answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 200 with this body (a JWKS, or anything else).
    Body(String),
    /// This status, body `{}`.
    Status(u16),
    /// Nothing for 3 s (longer than the clients' timeouts), then `{}`.
    Hang,
}

/// A JWKS at `url` on loopback: one thread per connection, `Connection: close`.
#[derive(Debug)]
pub struct Issuer {
    /// `http://127.0.0.1:<port>/.well-known/jwks.json`.
    pub url: String,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
}

impl Issuer {
    /// Starts answering `answer`.
    pub fn start(answer: Answer) -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().expect("the port")
        );
        let answer = Arc::new(Mutex::new(answer));
        let hits = Arc::new(AtomicUsize::new(0));
        let (shared, count) = (answer.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (shared, count) = (shared.clone(), count.clone());
                std::thread::spawn(move || {
                    let Ok(read) = stream.try_clone() else { return };
                    let mut reader = BufReader::new(read);
                    let mut line = String::new();
                    // The request line and headers, up to the blank line.
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let answer = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let (status, body) = match answer {
                        Answer::Body(body) => (200, body),
                        Answer::Status(status) => (status, "{}".to_owned()),
                        Answer::Hang => {
                            std::thread::sleep(Duration::from_secs(3));
                            (200, "{}".to_owned())
                        }
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Issuer { url, answer, hits }
    }

    /// Answers `answer` from now on.
    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap_or_else(|e| e.into_inner()) = answer;
    }

    /// The requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
