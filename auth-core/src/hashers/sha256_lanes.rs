//! SHA-256 compressions with the x86 SHA extensions (SHA-NI), several independent ones at once.
//!
//! `sha256rnds2` (two rounds) has a latency of several cycles but the core can issue one far more
//! often, so a single compression - 32 dependent `sha256rnds2` - leaves the SHA unit idle most of
//! the time. PBKDF2's chain cannot be split (every block is the previous digest), but two password
//! checks are independent: running their compressions with the instructions interleaved costs
//! about as much time as running one, so a core does nearly twice the work.
//!
//! The state stays in the instructions' working form (the `ABEF` / `CDGH` register pair) for a
//! whole chunk of PBKDF2 iterations. A PBKDF2-HMAC-SHA256 iteration compresses a block holding
//! the previous digest (eight words) and fixed padding, so that block is built from the working
//! form in four register operations instead of a store, a byte swap and a reload.
//!
//! This is the crate's only `unsafe` code: calling `#[target_feature]` functions (allowed only
//! after [`ShaNi::detect`] has seen the CPU support them) and the `core::arch` intrinsics. No
//! pointers are involved.

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_extract_epi32, _mm_set_epi32,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
    _mm_xor_si128,
};

/// Most chains one call runs interleaved. Measured on an AMD EPYC (`timing::lane_counts`, fastest
/// of 25 runs): one chain 83 ns per iteration, two 87 ns for both (1.9x the work per core),
/// three 120-130 ns and four 158-205 ns, i.e. at most a tenth more per chain than two, while an
/// engine thread with more lanes needs more waiting checks to fill them and may take checks an
/// idle core could have run.
pub(crate) const LANES: usize = 2;

/// The SHA-256 round constants (FIPS 180-4 section 4.2.2), four per `sha256rnds2` pair.
const K: [[u32; 4]; 16] = [
    [0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5],
    [0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5],
    [0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3],
    [0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174],
    [0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc],
    [0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da],
    [0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7],
    [0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967],
    [0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13],
    [0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85],
    [0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3],
    [0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070],
    [0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5],
    [0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3],
    [0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208],
    [0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2],
];

/// One PBKDF2-HMAC-SHA256 output block in progress, as plain SHA-256 state words.
#[derive(Clone, Copy, Default)]
pub(crate) struct Chain {
    /// HMAC inner state after absorbing `key ^ ipad`.
    pub(crate) inner: [u32; 8],
    /// HMAC outer state after absorbing `key ^ opad`.
    pub(crate) outer: [u32; 8],
    /// The latest `U_j`.
    pub(crate) u: [u32; 8],
    /// `U_1 ^ ... ^ U_j`.
    pub(crate) acc: [u32; 8],
}

/// Proof that this CPU has the SHA extensions and SSE4.1: only [`ShaNi::detect`] makes one, and
/// every method is safe because of it.
#[derive(Clone, Copy)]
pub(crate) struct ShaNi(());

impl ShaNi {
    /// `Some` when the CPU supports every feature the kernels are compiled for (std caches the
    /// CPUID answer, so this is cheap to call again).
    pub(crate) fn detect() -> Option<Self> {
        let supported = std::is_x86_feature_detected!("sha")
            && std::is_x86_feature_detected!("sse2")
            && std::is_x86_feature_detected!("ssse3")
            && std::is_x86_feature_detected!("sse4.1");
        supported.then_some(ShaNi(()))
    }

    /// Run `rounds` more PBKDF2 iterations on every chain in `chains` (at most [`LANES`] of
    /// them; a longer slice is run [`LANES`] at a time), interleaved.
    pub(crate) fn pbkdf2_rounds(self, chains: &mut [Chain], rounds: u32) {
        for group in chains.chunks_mut(LANES) {
            let done = self.pbkdf2_rounds_n::<1>(group, rounds)
                || self.pbkdf2_rounds_n::<2>(group, rounds)
                || self.pbkdf2_rounds_n::<3>(group, rounds)
                || self.pbkdf2_rounds_n::<4>(group, rounds);
            if !done {
                for chain in group {
                    self.pbkdf2_rounds_n::<1>(core::slice::from_mut(chain), rounds);
                }
            }
        }
    }

    /// [`pbkdf2_rounds`] on `chains` if it holds exactly `L` of them; `false` otherwise.
    fn pbkdf2_rounds_n<const L: usize>(self, chains: &mut [Chain], rounds: u32) -> bool {
        match <&mut [Chain; L]>::try_from(chains) {
            Ok(chains) => {
                // SAFETY: `self` exists only if `detect` found every feature the function
                // enables.
                unsafe { pbkdf2_rounds(chains, rounds) };
                true
            }
            Err(_) => false,
        }
    }

    /// Compress one block into each of `L` states, interleaved (what [`Self::pbkdf2_rounds`]
    /// does twice per iteration, for arbitrary blocks).
    #[cfg(test)]
    pub(crate) fn compress<const L: usize>(
        self,
        states: &mut [[u32; 8]; L],
        blocks: &[[u8; 64]; L],
    ) {
        // SAFETY: `self` exists only if `detect` found every feature the function enables.
        unsafe { compress_blocks(states, blocks) }
    }
}

/// `a + b` on each 32-bit word.
macro_rules! add {
    ($a:expr, $b:expr) => {
        _mm_add_epi32($a, $b)
    };
}

/// Rounds `4 * $k` to `4 * $k + 3` on every lane, with the message words in slot `$k % 4` of each
/// lane's `$w`.
macro_rules! rounds4 {
    ($abef:ident, $cdgh:ident, $w:ident, $k:literal, $lanes:ident) => {{
        let k = _mm_set_epi32(
            K[$k][3] as i32,
            K[$k][2] as i32,
            K[$k][1] as i32,
            K[$k][0] as i32,
        );
        let mut l = 0;
        while l < $lanes {
            let wk = add!($w[l][$k % 4], k);
            $cdgh[l] = _mm_sha256rnds2_epu32($cdgh[l], $abef[l], wk);
            $abef[l] = _mm_sha256rnds2_epu32($abef[l], $cdgh[l], _mm_shuffle_epi32(wk, 0x0E));
            l += 1;
        }
    }};
}

/// The message schedule for words `4 * $k` to `4 * $k + 3` into slot `$k % 4` (which held the
/// words sixteen back), then [`rounds4!`] with them.
macro_rules! schedule_rounds4 {
    ($abef:ident, $cdgh:ident, $w:ident, $k:literal, $lanes:ident) => {{
        let mut l = 0;
        while l < $lanes {
            let t = _mm_sha256msg1_epu32($w[l][$k % 4], $w[l][($k + 1) % 4]);
            let t = add!(
                t,
                _mm_alignr_epi8($w[l][($k + 3) % 4], $w[l][($k + 2) % 4], 4)
            );
            $w[l][$k % 4] = _mm_sha256msg2_epu32(t, $w[l][($k + 3) % 4]);
            l += 1;
        }
        rounds4!($abef, $cdgh, $w, $k, $lanes);
    }};
}

/// One compression on each of `$lanes` lanes: `$abef` / `$cdgh` (arrays of working-form
/// states) are updated, `$w` (message words per lane, lane 0 of `$w[l][0]` is word 0) is consumed
/// by the schedule. A macro rather than a function: it must be inlined for the lanes' states to
/// stay in registers, and at this size the optimiser would rather call it.
macro_rules! compress {
    ($abef:ident, $cdgh:ident, $w:ident, $lanes:ident) => {{
        let abef0 = $abef;
        let cdgh0 = $cdgh;
        compress!(@rounds $abef, $cdgh, $w, $lanes; 0 1 2 3; 4 5 6 7 8 9 10 11 12 13 14 15);
        let mut l = 0;
        while l < $lanes {
            $abef[l] = add!($abef[l], abef0[l]);
            $cdgh[l] = add!($cdgh[l], cdgh0[l]);
            l += 1;
        }
    }};
    (@rounds $abef:ident, $cdgh:ident, $w:ident, $lanes:ident; $($k:literal)*; $($s:literal)*) => {
        $(rounds4!($abef, $cdgh, $w, $k, $lanes);)*
        $(schedule_rounds4!($abef, $cdgh, $w, $s, $lanes);)*
    };
}

/// Plain state words `A..H` to the working form `(ABEF, CDGH)` (lane 3 first, as the
/// instructions name them).
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn to_working(s: &[u32; 8]) -> (__m128i, __m128i) {
    let abef = _mm_set_epi32(s[0] as i32, s[1] as i32, s[4] as i32, s[5] as i32);
    let cdgh = _mm_set_epi32(s[2] as i32, s[3] as i32, s[6] as i32, s[7] as i32);
    (abef, cdgh)
}

/// The working form to the message words `[A, B, C, D]`, `[E, F, G, H]` (lane 0 first): a
/// digest as the first eight words of the next block.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn to_words(abef: __m128i, cdgh: __m128i) -> [__m128i; 2] {
    let feba = _mm_shuffle_epi32(abef, 0x1B);
    let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    [
        _mm_blend_epi16(feba, dchg, 0xF0),
        _mm_alignr_epi8(dchg, feba, 8),
    ]
}

/// The working form back to plain state words.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn from_working(abef: __m128i, cdgh: __m128i) -> [u32; 8] {
    let [abcd, efgh] = to_words(abef, cdgh);
    [
        _mm_extract_epi32(abcd, 0) as u32,
        _mm_extract_epi32(abcd, 1) as u32,
        _mm_extract_epi32(abcd, 2) as u32,
        _mm_extract_epi32(abcd, 3) as u32,
        _mm_extract_epi32(efgh, 0) as u32,
        _mm_extract_epi32(efgh, 1) as u32,
        _mm_extract_epi32(efgh, 2) as u32,
        _mm_extract_epi32(efgh, 3) as u32,
    ]
}

/// The message words of each lane's next block from its digest (working form): the eight digest
/// words, the `0x80` marker, zeros and the bit length 768 (a 64-byte key block plus 32 bytes), as
/// both blocks of a PBKDF2-HMAC-SHA256 iteration are.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn digest_blocks<const L: usize>(
    abef: &[__m128i; L],
    cdgh: &[__m128i; L],
    w: &mut [[__m128i; 4]; L],
) {
    let pad0 = _mm_set_epi32(0, 0, 0, 0x8000_0000_u32 as i32);
    let pad1 = _mm_set_epi32(768, 0, 0, 0);
    let mut l = 0;
    while l < L {
        let [abcd, efgh] = to_words(abef[l], cdgh[l]);
        w[l] = [abcd, efgh, pad0, pad1];
        l += 1;
    }
}

/// `rounds` PBKDF2-HMAC-SHA256 iterations on `L` chains at once.
///
/// Each iteration hashes the 32-byte `U` as the second block of the inner hash, then the inner
/// digest as the second block of the outer hash ([`digest_blocks`]).
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn pbkdf2_rounds<const L: usize>(chains: &mut [Chain; L], rounds: u32) {
    let zero = _mm_set_epi32(0, 0, 0, 0);
    let mut inner_abef = [zero; L];
    let mut inner_cdgh = [zero; L];
    let mut outer_abef = [zero; L];
    let mut outer_cdgh = [zero; L];
    let mut u_abef = [zero; L];
    let mut u_cdgh = [zero; L];
    let mut acc_abef = [zero; L];
    let mut acc_cdgh = [zero; L];
    let mut l = 0;
    while l < L {
        (inner_abef[l], inner_cdgh[l]) = to_working(&chains[l].inner);
        (outer_abef[l], outer_cdgh[l]) = to_working(&chains[l].outer);
        (u_abef[l], u_cdgh[l]) = to_working(&chains[l].u);
        (acc_abef[l], acc_cdgh[l]) = to_working(&chains[l].acc);
        l += 1;
    }
    let mut w = [[zero; 4]; L];
    let mut round = 0;
    while round < rounds {
        let mut abef = inner_abef;
        let mut cdgh = inner_cdgh;
        digest_blocks(&u_abef, &u_cdgh, &mut w);
        compress!(abef, cdgh, w, L);
        u_abef = outer_abef;
        u_cdgh = outer_cdgh;
        digest_blocks(&abef, &cdgh, &mut w);
        compress!(u_abef, u_cdgh, w, L);
        let mut l = 0;
        while l < L {
            acc_abef[l] = _mm_xor_si128(acc_abef[l], u_abef[l]);
            acc_cdgh[l] = _mm_xor_si128(acc_cdgh[l], u_cdgh[l]);
            l += 1;
        }
        round += 1;
    }
    let mut l = 0;
    while l < L {
        chains[l].u = from_working(u_abef[l], u_cdgh[l]);
        chains[l].acc = from_working(acc_abef[l], acc_cdgh[l]);
        l += 1;
    }
}

/// [`compress!`] on arbitrary blocks, from and to plain state words.
#[cfg(test)]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn compress_blocks<const L: usize>(states: &mut [[u32; 8]; L], blocks: &[[u8; 64]; L]) {
    let zero = _mm_set_epi32(0, 0, 0, 0);
    let mut abef = [zero; L];
    let mut cdgh = [zero; L];
    let mut w = [[zero; 4]; L];
    for l in 0..L {
        (abef[l], cdgh[l]) = to_working(&states[l]);
        for (i, slot) in w[l].iter_mut().enumerate() {
            let word = |j: usize| {
                let at = 16 * i + 4 * j;
                u32::from_be_bytes([
                    blocks[l][at],
                    blocks[l][at + 1],
                    blocks[l][at + 2],
                    blocks[l][at + 3],
                ]) as i32
            };
            *slot = _mm_set_epi32(word(3), word(2), word(1), word(0));
        }
    }
    compress!(abef, cdgh, w, L);
    for l in 0..L {
        states[l] = from_working(abef[l], cdgh[l]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::digest::generic_array::GenericArray;

    fn reference(state: [u32; 8], block: [u8; 64]) -> [u32; 8] {
        let mut state = state;
        sha2::compress256(&mut state, &[GenericArray::from(block)]);
        state
    }

    fn block(bytes: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(bytes);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every lane of an interleaved compression equals `sha2::compress256` on its own.
        #[test]
        fn lanes_equal_the_reference_compression(
            states in prop::array::uniform3(prop::array::uniform8(any::<u32>())),
            bytes in prop::collection::vec(any::<u8>(), 192),
        ) {
            let Some(sha) = ShaNi::detect() else { return Ok(()) };
            let blocks = [block(&bytes[..64]), block(&bytes[64..128]), block(&bytes[128..])];
            let expected: Vec<[u32; 8]> =
                (0..3).map(|l| reference(states[l], blocks[l])).collect();

            let mut one = [states[0]];
            sha.compress(&mut one, &[blocks[0]]);
            prop_assert_eq!(one[0], expected[0]);

            let mut two = [states[0], states[1]];
            sha.compress(&mut two, &[blocks[0], blocks[1]]);
            prop_assert_eq!(&two[..], &expected[..2]);

            let mut three = states;
            sha.compress(&mut three, &blocks);
            prop_assert_eq!(&three[..], &expected[..]);
        }

        /// PBKDF2 iterations in the working form equal the same iterations done with
        /// `sha2::compress256` and byte blocks, for any states (not only real HMAC ones).
        #[test]
        fn pbkdf2_rounds_equal_the_reference(
            words in prop::collection::vec(any::<u32>(), 3 * 32),
            rounds in prop::array::uniform3(0u32..40),
        ) {
            let Some(sha) = ShaNi::detect() else { return Ok(()) };
            let chain = |l: usize| {
                let w = &words[32 * l..];
                let take = |i: usize| -> [u32; 8] { w[8 * i..8 * i + 8].try_into().unwrap() };
                Chain { inner: take(0), outer: take(1), u: take(2), acc: take(3) }
            };
            let expected = |l: usize, n: u32| {
                let mut c = chain(l);
                for _ in 0..n {
                    let mut blk = [0u8; 64];
                    blk[32] = 0x80;
                    blk[62] = 0x03;
                    for (i, word) in c.u.iter().enumerate() {
                        blk[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
                    }
                    let t = reference(c.inner, blk);
                    for (i, word) in t.iter().enumerate() {
                        blk[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
                    }
                    c.u = reference(c.outer, blk);
                    for (a, u) in c.acc.iter_mut().zip(c.u) {
                        *a ^= u;
                    }
                }
                (c.u, c.acc)
            };

            let mut one = [chain(0)];
            sha.pbkdf2_rounds(&mut one, rounds[0]);
            prop_assert_eq!((one[0].u, one[0].acc), expected(0, rounds[0]));

            // Two or three chains share one run of `rounds[1]` iterations.
            let mut many = [chain(0), chain(1), chain(2)];
            sha.pbkdf2_rounds(&mut many, rounds[1]);
            for (l, c) in many.iter().enumerate() {
                prop_assert_eq!((c.u, c.acc), expected(l, rounds[1]), "lane {}", l);
            }
        }
    }
}

/// Which [`LANES`] suits this CPU: `cargo test --release -p auth-core --lib lane_counts --
/// --ignored --nocapture` prints the fastest of 25 runs for each lane count (other load on the
/// machine only ever slows a run down).
#[cfg(test)]
mod timing {
    use super::*;

    /// Nanoseconds per PBKDF2 iteration step of `L` chains; `_proof` shows the CPU can run it.
    fn time<const L: usize>(_proof: ShaNi) -> f64 {
        let mut chains = [Chain::default(); L];
        let n = 500_000;
        let start = std::time::Instant::now();
        // SAFETY: a `ShaNi` exists only if `detect` found every feature the function enables.
        unsafe { pbkdf2_rounds(&mut chains, n) };
        std::hint::black_box(&chains);
        start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    }

    #[test]
    #[ignore = "a measurement, not a check"]
    fn lane_counts() {
        let Some(sha) = ShaNi::detect() else {
            return;
        };
        let mut best = [f64::MAX; 4];
        for _ in 0..25 {
            let t = [
                time::<1>(sha),
                time::<2>(sha),
                time::<3>(sha),
                time::<4>(sha),
            ];
            for (b, t) in best.iter_mut().zip(t) {
                *b = b.min(t);
            }
        }
        println!(
            "fastest ns per step: 1={:.1} 2={:.1} 3={:.1} 4={:.1}; per chain-iteration: {:.1} {:.1} {:.1} {:.1}",
            best[0], best[1], best[2], best[3], best[0], best[1] / 2.0, best[2] / 3.0, best[3] / 4.0
        );
    }
}
