//! Cost of checking a Django `pbkdf2_sha256` password against the floor of the same work.
//!
//! PBKDF2-HMAC-SHA256 with 1,000,000 iterations is, at best, 2,000,000 SHA-256 block
//! compressions (one inner and one outer per iteration). `floor` runs exactly that many with
//! `sha2::compress256`; `verify` is `Hashers::verify` on a 1,000,000-iteration hash (a correct
//! password and a matching configured count, so no extra work); `pbkdf2_crate` is the generic
//! `pbkdf2` + `hmac` path, for reference. The aim is `verify` within 1.3x of `floor`.
//!
//! `pbkdf2_sha256_concurrent` is the case the hashing engine exists for: K password checks at
//! once (K threads, as on a loaded server), each a 200,000-iteration PBKDF2-HMAC-SHA256.
//! `inline/K` runs each on its own thread as before the engine (one chain per core at a time);
//! `engine/K` hands them to the engine, which interleaves two chains per core on SHA-NI.
//! Throughput is in PBKDF2 iterations per second (criterion's "elements").
//!
//! Run with `cargo bench -p auth-core --bench pbkdf2` (about two minutes).

use auth_core::hashers::{Hashers, Verification};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sha2::digest::generic_array::GenericArray;
use std::hint::black_box;
use std::time::Duration;

const ITERATIONS: u32 = 1_000_000;

fn pbkdf2(c: &mut Criterion) {
    let hashers = Hashers {
        pbkdf2_iterations: ITERATIONS,
    };
    let encoded = hashers.make_password("correct horse battery staple");
    assert_eq!(
        hashers.verify("correct horse battery staple", &encoded),
        Verification::Valid { must_update: false }
    );

    let mut group = c.benchmark_group("pbkdf2_sha256_1M");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut state = [0x6a09_e667u32; 8];
            let mut block = [GenericArray::from([0x36u8; 64])];
            for _ in 0..2 * ITERATIONS {
                sha2::compress256(&mut state, black_box(&block));
                // Feed the output back in, as PBKDF2's chain does.
                block[0][..4].copy_from_slice(&state[0].to_be_bytes());
            }
            state
        })
    });

    group.bench_function("verify", |b| {
        b.iter(|| hashers.verify(black_box("correct horse battery staple"), &encoded))
    });

    group.bench_function("pbkdf2_crate", |b| {
        b.iter(|| {
            let mut dk = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                black_box(b"correct horse battery staple"),
                b"abcdefghijklmnopqrstuv",
                ITERATIONS,
                &mut dk,
            );
            dk
        })
    });

    group.finish();
}

/// Iterations of each check in the concurrent group.
const CONCURRENT_ITERATIONS: u32 = 200_000;

fn concurrent(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("pbkdf2_sha256_concurrent");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut counts = vec![1, 2, 4, 8, 2 * cores];
    counts.sort_unstable();
    counts.dedup();
    for k in counts {
        group.throughput(Throughput::Elements(
            u64::from(CONCURRENT_ITERATIONS) * k as u64,
        ));
        for (name, inline) in [("inline", true), ("engine", false)] {
            group.bench_with_input(BenchmarkId::new(name, k), &k, |b, &k| {
                b.iter(|| {
                    std::thread::scope(|scope| {
                        for i in 0..k {
                            scope.spawn(move || {
                                let password = format!("correct horse battery staple {i}");
                                auth_core::hashers::__pbkdf2_sha256(
                                    black_box(password.as_bytes()),
                                    b"abcdefghijklmnopqrstuv",
                                    CONCURRENT_ITERATIONS,
                                    inline,
                                )
                            });
                        }
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, pbkdf2, concurrent);
criterion_main!(benches);
