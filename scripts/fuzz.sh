#!/usr/bin/env bash
# Build every cargo-fuzz target in fuzz/ and run each one for a bounded time,
# from the committed seed corpus; fail on any crash, panic, leak or timeout.
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   seconds-per-target  default 20
#   target...           default: every target (`cargo fuzz list`)
#
# Works on a stable toolchain: cargo-fuzz passes nightly-only flags
# (-Zsanitizer=...), which RUSTC_BOOTSTRAP=1 allows. Debug assertions and
# overflow checks are on. cargo-fuzz is installed
# (cargo install --locked) when missing. New inputs found along the way go to
# <target dir>/corpus/<target> (not committed); a crashing input is kept in
# fuzz/artifacts/<target>/ and its path printed.
#
# Environment:
#   FUZZ_SANITIZER   cargo-fuzz's sanitizer (default: none; the crates' only
#                    unsafe code is auth-core's SHA-NI PBKDF2 kernel, intrinsics
#                    without pointers, and without AddressSanitizer the targets
#                    run 4 to 60 times more inputs per second; `address` checks
#                    that and the dependencies' unsafe code too)
#   FUZZ_TARGET_DIR  where to build, an absolute path (default: fuzz/target); one kept
#                    between runs makes later builds incremental
set -euo pipefail

seconds="${1:-20}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [seconds-per-target] [target...]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

options=(--sanitizer "${FUZZ_SANITIZER:-none}")
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  options+=(--target-dir "$FUZZ_TARGET_DIR")
fi
work="${FUZZ_TARGET_DIR:-target}"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

echo "== building the fuzz targets"
start=$(date +%s)
cargo fuzz build "${options[@]}"
echo "== built in $(($(date +%s) - start)) s"

mkdir -p "$work/logs"
failed=()
for target in "${targets[@]}"; do
  scratch="$work/corpus/$target"
  mkdir -p "$scratch" "corpus/$target"
  log="$work/logs/$target.log"
  echo "== $target: ${seconds} s"
  # The scratch directory comes first: libFuzzer writes new inputs there and
  # leaves the committed seeds alone.
  if cargo fuzz run "${options[@]}" "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    echo "   ok: ${runs:-?} runs, ${rate:-?} exec/s"
  else
    echo "   FAILED: $target (log: $log)"
    tail -n 60 "$log"
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "== fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "== fuzzing: ${#targets[@]} targets, no crash"
