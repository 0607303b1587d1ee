#!/usr/bin/env bash
# Builds every fuzz target and runs each for a short, bounded time from its seed corpus;
# fails on any crash, failed invariant, timeout or out-of-memory. Works on a clean machine:
# installs the nightly toolchain and cargo-fuzz when missing.
#
#   bash fuzz/ci.sh                    # every target, 20 s each
#   FUZZ_SECONDS=60 bash fuzz/ci.sh    # longer
#   bash fuzz/ci.sh parse_answer       # some targets only
#
# Environment: FUZZ_SECONDS (per target, default 20), FUZZ_TARGET_DIR (the build directory,
# default fuzz/target: nightly, instrumented artifacts, kept apart from the workspace's),
# FUZZ_SANITIZER (default none: every crate under test is safe Rust; `address` to use ASan).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-none}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$here/target}"
export CARGO_TERM_COLOR=never

echo "== nightly toolchain"
if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
cargo +nightly --version
echo "== cargo-fuzz"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  # About a minute on two cores.
  cargo +nightly install cargo-fuzz --locked
fi
cargo +nightly fuzz --version

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "== build (sanitizer: $sanitizer)"
cargo +nightly fuzz build --sanitizer "$sanitizer"

# A scratch corpus per run: the seeds, then whatever this run finds (thrown away).
corpus="$(mktemp -d)"
artifacts="$(mktemp -d)"
trap 'rm -rf "$corpus" "$artifacts"' EXIT
bash "$here/seeds.sh" "$corpus" >/dev/null

failed=()
for target in "${targets[@]}"; do
  echo "== $target (${seconds} s)"
  mkdir -p "$corpus/$target" "$artifacts/$target"
  log="$artifacts/$target.log"
  if cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "$corpus/$target" -- \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$target/" -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$log" | tail -2 || true
  else
    tail -60 "$log"
    echo "!! $target failed; the input that failed:" >&2
    ls -l "$artifacts/$target" >&2 || true
    for input in "$artifacts/$target"/*; do
      [ -f "$input" ] && base64 "$input" >&2
    done
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds} s each, no failure"
