#!/usr/bin/env bash
# How fast `dashlive synth` makes the default content (three-rung ladder, AAC,
# two subtitle tracks, 61.44 s): generation time over media duration, best of
# three runs. Below 1 means faster than real time.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin dashlive
bin="$target/release/dashlive"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
best=""
for run in 1 2 3; do
    rm -rf "$out"/*
    start=$(date +%s.%N)
    "$bin" synth --out "$out" > /dev/null
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    printf 'run %d: %.2f s\n' "$run" "$t"
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
printf 'best %.2f s for 61.44 s of media: ratio %.3f (generation time / media duration), %d cores\n' \
    "$best" "$(awk -v b="$best" 'BEGIN { print b / 61.44 }')" "$(nproc)"
