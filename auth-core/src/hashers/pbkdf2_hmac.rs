//! PBKDF2-HMAC (RFC 8018) over SHA-256 and SHA-1, built directly on the compression functions.
//!
//! Django's default hasher spends over a million HMAC iterations per password check, so the inner
//! loop matters. Each iteration is exactly two block compressions: the HMAC inner and outer
//! states after absorbing the padded key are computed once, and every iteration compresses a
//! single pre-padded block from each. A generic HMAC would instead copy and re-pad a hashing
//! context twice per iteration (about a third slower).

use sha2::digest::generic_array::GenericArray;

/// One 64-byte block, as both compression functions take it.
type Block = GenericArray<u8, sha2::digest::consts::U64>;

/// A Merkle–Damgård hash with a 64-byte block, big-endian words and a 64-bit bit-length trailer
/// (SHA-1 with `W = 5` words of state, SHA-256 with `W = 8`).
pub(crate) struct Engine<const W: usize> {
    iv: [u32; W],
    compress: fn(&mut [u32; W], &[Block]),
    /// Whether long one-block derivations may go to the interleaving engine
    /// ([`super::pbkdf2_lanes`]), which is SHA-256 only.
    lanes: bool,
}

/// SHA-256 (FIPS 180-4 section 5.3.3 initial value).
pub(crate) const SHA256: Engine<8> = Engine {
    iv: [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ],
    compress: sha2::compress256,
    lanes: true,
};

/// SHA-1 (FIPS 180-4 section 5.3.1 initial value).
pub(crate) const SHA1: Engine<5> = Engine {
    iv: [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ],
    compress: sha1::compress,
    lanes: false,
};

impl<const W: usize> Engine<W> {
    /// Digest length in bytes.
    pub(crate) const OUTPUT_LEN: usize = 4 * W;

    /// Hash `msg` starting from `state`, which has already absorbed `prefix_len` bytes (a whole
    /// number of blocks), and return the final state.
    fn finish(&self, mut state: [u32; W], prefix_len: usize, msg: &[u8]) -> [u32; W] {
        let mut blocks = msg.chunks_exact(64);
        for block in &mut blocks {
            (self.compress)(&mut state, &[*Block::from_slice(block)]);
        }
        let tail = blocks.remainder();
        let bit_len = ((prefix_len + msg.len()) as u64).wrapping_mul(8);
        let mut last = [Block::default(), Block::default()];
        let (first, second) = last.split_at_mut(1);
        first[0][..tail.len()].copy_from_slice(tail);
        first[0][tail.len()] = 0x80;
        // The length goes in the last 8 bytes of the first block if it still has room after the
        // 0x80 marker, otherwise in a second block.
        let count = if tail.len() < 56 {
            first[0][56..].copy_from_slice(&bit_len.to_be_bytes());
            1
        } else {
            second[0][56..].copy_from_slice(&bit_len.to_be_bytes());
            2
        };
        (self.compress)(&mut state, &last[..count]);
        state
    }

    /// The HMAC inner and outer states after absorbing `key ^ ipad` and `key ^ opad`.
    pub(crate) fn hmac_states(&self, key: &[u8]) -> ([u32; W], [u32; W]) {
        let mut padded = [0u8; 64];
        if key.len() > 64 {
            let digest = self.finish(self.iv, 0, key);
            write_words(&digest, &mut padded);
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut inner = self.iv;
        let mut outer = self.iv;
        let mut ipad = Block::default();
        let mut opad = Block::default();
        for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(padded) {
            *i = k ^ 0x36;
            *o = k ^ 0x5c;
        }
        (self.compress)(&mut inner, &[ipad]);
        (self.compress)(&mut outer, &[opad]);
        (inner, outer)
    }

    /// A block holding a digest as the whole message after one absorbed block: the digest, the
    /// 0x80 marker, zeros, and the bit length of 64 + digest bytes.
    fn digest_block() -> Block {
        let mut block = Block::default();
        block[Self::OUTPUT_LEN] = 0x80;
        let bit_len = ((64 + Self::OUTPUT_LEN) as u64) * 8;
        block[56..].copy_from_slice(&bit_len.to_be_bytes());
        block
    }

    /// PBKDF2-HMAC of `password` and `salt` with `rounds` iterations, filling `out`.
    ///
    /// `rounds` below 1 counts as 1 (callers reject 0 before getting here). A SHA-256 output of
    /// one block with at least [`MIN_ROUNDS`](super::pbkdf2_lanes::MIN_ROUNDS) iterations is
    /// derived on the shared engine when the CPU has SHA-NI, so that concurrent checks share a
    /// core's SHA unit; the result is the same.
    pub(crate) fn pbkdf2(&self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        self.pbkdf2_with(password, salt, rounds, out, self.lanes);
    }

    /// [`Self::pbkdf2`] always on the calling thread.
    pub(crate) fn pbkdf2_inline(&self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        self.pbkdf2_with(password, salt, rounds, out, false);
    }

    fn pbkdf2_with(
        &self,
        password: &[u8],
        salt: &[u8],
        rounds: u32,
        out: &mut [u8],
        offload: bool,
    ) {
        #[cfg(test)]
        count_rounds(u64::from(rounds.max(1)) * out.chunks(Self::OUTPUT_LEN).len() as u64);
        let offload = offload && out.len() <= Self::OUTPUT_LEN;
        let (inner, outer) = self.hmac_states(password);
        let mut msg = Vec::with_capacity(salt.len() + 4);
        for (index, chunk) in out.chunks_mut(Self::OUTPUT_LEN).enumerate() {
            // U1 = HMAC(password, salt || INT(index + 1)).
            msg.clear();
            msg.extend_from_slice(salt);
            msg.extend_from_slice(&(index as u32).wrapping_add(1).to_be_bytes());
            let mut inner_block = Self::digest_block();
            let mut outer_block = Self::digest_block();
            let inner_hash = self.finish(inner, 64, &msg);
            write_words(&inner_hash, &mut outer_block);
            let mut u = outer;
            (self.compress)(&mut u, core::slice::from_ref(&outer_block));
            let mut acc = u;
            let mut round = 1;
            if offload {
                if let Some(done) = offload_rounds(&inner, &outer, &u, rounds) {
                    acc = done;
                    round = rounds;
                }
            }
            // U_j = HMAC(password, U_{j-1}): two compressions from the precomputed states.
            // Plain `while` loops and indexing: in an unoptimised (debug) build every iterator
            // step is a function call, which would make this loop several times slower there.
            while round < rounds {
                store_be(&u, inner_block.as_mut_slice());
                let mut state = inner;
                (self.compress)(&mut state, core::slice::from_ref(&inner_block));
                store_be(&state, outer_block.as_mut_slice());
                u = outer;
                (self.compress)(&mut u, core::slice::from_ref(&outer_block));
                let mut i = 0;
                while i < W {
                    acc[i] ^= u[i];
                    i += 1;
                }
                round += 1;
            }
            let mut bytes = [0u8; 32];
            write_words(&acc, &mut bytes);
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The rest of a one-block PBKDF2-HMAC-SHA256 after `U_1` (`u`) on the interleaving engine:
/// `U_1 ^ ... ^ U_rounds`, or `None` to compute it here (too few rounds to be worth a hand-off, no
/// SHA-NI or not x86-64, or the engine is unavailable).
fn offload_rounds<const W: usize>(
    inner: &[u32; W],
    outer: &[u32; W],
    u: &[u32; W],
    rounds: u32,
) -> Option<[u32; W]> {
    #[cfg(target_arch = "x86_64")]
    {
        use super::pbkdf2_lanes;
        if rounds < pbkdf2_lanes::MIN_ROUNDS {
            return None;
        }
        let words = |s: &[u32; W]| <[u32; 8]>::try_from(s.as_slice()).ok();
        let chain = super::sha256_lanes::Chain {
            inner: words(inner)?,
            outer: words(outer)?,
            u: words(u)?,
            acc: words(u)?,
        };
        let acc = pbkdf2_lanes::run(chain, rounds - 1)?;
        <[u32; W]>::try_from(acc.as_slice()).ok()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (inner, outer, u, rounds);
        None
    }
}

#[cfg(test)]
thread_local! {
    /// PBKDF2 rounds run on this thread: lets tests check how much work a call did without
    /// timing it.
    static ROUNDS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
fn count_rounds(n: u64) {
    ROUNDS.with(|c| c.set(c.get() + n));
}

/// PBKDF2 rounds `f` ran on this thread.
#[cfg(test)]
pub(crate) fn rounds_spent(f: impl FnOnce()) -> u64 {
    let before = ROUNDS.with(|c| c.get());
    f();
    ROUNDS.with(|c| c.get()) - before
}

/// Write `words` big-endian into the start of `out` (the hot-loop twin of [`write_words`]),
/// unrolled with constant indices so that an unoptimised build does no arithmetic checks.
#[inline(always)]
fn store_be<const W: usize>(words: &[u32; W], out: &mut [u8]) {
    macro_rules! store {
        ($($i:literal)*) => {$(
            if $i < W {
                let w = words[$i];
                out[4 * $i] = (w >> 24) as u8;
                out[4 * $i + 1] = (w >> 16) as u8;
                out[4 * $i + 2] = (w >> 8) as u8;
                out[4 * $i + 3] = w as u8;
            }
        )*};
    }
    store!(0 1 2 3 4 5 6 7);
}

/// Write `words` big-endian into the start of `out`.
fn write_words(words: &[u32], out: &mut [u8]) {
    for (word, dst) in words.iter().zip(out.chunks_exact_mut(4)) {
        dst.copy_from_slice(&word.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sha256(engine: &Engine<8>, msg: &[u8]) -> String {
        let mut out = [0u8; 32];
        write_words(&engine.finish(engine.iv, 0, msg), &mut out);
        hex(&out)
    }

    #[test]
    fn padding_matches_the_digest_crates_at_every_block_boundary() {
        use sha1::Digest as _;
        for len in 0..200 {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(
                sha256(&SHA256, &msg),
                hex(&sha2::Sha256::digest(&msg)),
                "len {len}"
            );
            let mut out = [0u8; 20];
            write_words(&SHA1.finish(SHA1.iv, 0, &msg), &mut out);
            assert_eq!(hex(&out), hex(&sha1::Sha1::digest(&msg)), "len {len}");
        }
    }

    /// RFC 7914 section 11 (PBKDF2-HMAC-SHA256).
    #[test]
    fn rfc7914_vectors() {
        let mut out = [0u8; 64];
        SHA256.pbkdf2(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        SHA256.pbkdf2(b"Password", b"NaCl", 80000, &mut out);
        assert_eq!(
            hex(&out),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1), including an output longer than one digest.
    #[test]
    fn rfc6070_vectors() {
        let mut out = [0u8; 20];
        SHA1.pbkdf2(b"password", b"salt", 1, &mut out);
        assert_eq!(hex(&out), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
        SHA1.pbkdf2(b"password", b"salt", 4096, &mut out);
        assert_eq!(hex(&out), "4b007901b765489abead49d926f721d065a429c1");
        let mut out = [0u8; 25];
        SHA1.pbkdf2(
            b"passwordPASSWORDpassword",
            b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
            4096,
            &mut out,
        );
        assert_eq!(
            hex(&out),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
        );
        let mut out = [0u8; 16];
        SHA1.pbkdf2(b"pass\0word", b"sa\0lt", 4096, &mut out);
        assert_eq!(hex(&out), "56fa6aa75548099dcc37d7f03425e0c3");
    }

    /// Cross-check against the `pbkdf2` crate for keys and salts of every size around the
    /// block boundaries (long keys are hashed first), several lengths and round counts.
    #[test]
    fn agrees_with_the_pbkdf2_crate() {
        for key_len in [0usize, 1, 31, 63, 64, 65, 100, 200] {
            for salt_len in [0usize, 1, 51, 52, 55, 56, 60, 64, 120] {
                let key: Vec<u8> = (0..key_len).map(|i| (i * 13 + 1) as u8).collect();
                let salt: Vec<u8> = (0..salt_len).map(|i| (i * 5 + 9) as u8).collect();
                for rounds in [1, 2, 3, 17] {
                    let mut ours = [0u8; 70];
                    let mut theirs = [0u8; 70];
                    SHA256.pbkdf2(&key, &salt, rounds, &mut ours);
                    ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&key, &salt, rounds, &mut theirs);
                    assert_eq!(
                        ours, theirs,
                        "sha256 key {key_len} salt {salt_len} r {rounds}"
                    );
                    SHA1.pbkdf2(&key, &salt, rounds, &mut ours[..45]);
                    ::pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&key, &salt, rounds, &mut theirs[..45]);
                    assert_eq!(
                        ours, theirs,
                        "sha1 key {key_len} salt {salt_len} r {rounds}"
                    );
                }
            }
        }
    }
}
