#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-fuzzers.sh SECONDS [HARNESS...]: builds the libFuzzer harnesses (the project tests/fuzz,
# clang-14, ASan+UBSan) in build-fuzz and runs each one (or the ones named) for SECONDS, starting from its committed seeds
# in tests/fuzz/corpus/<harness>/. New inputs go to a working corpus outside the checkout, so the
# committed seeds stay small. Fails when a harness crashes, leaks, times out on one input or runs
# out of memory; the input that did it is kept and its path printed. See tests/fuzz/README.md.
#
# Environment:
#   TRACKWATCH_FUZZ_BUILD_DIR  build folder of the project tests/fuzz (default: build-fuzz in
#                              the checkout); configured when it has no CMakeCache.txt yet
#   TRACKWATCH_FUZZ_WORK       working corpus and crash inputs (default: a new temp folder);
#                              give the same folder again to go on from a grown corpus
#   TRACKWATCH_FUZZ_CXX        the compiler (default: clang++-14)
#   TRACKWATCH_FUZZ_LAUNCHER   a compiler launcher such as ccache (default: none)
set -euo pipefail
seconds="${1:?usage: run-fuzzers.sh SECONDS [HARNESS...]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TRACKWATCH_FUZZ_BUILD_DIR:-$root/build-fuzz}"
work="${TRACKWATCH_FUZZ_WORK:-$(mktemp -d -t trackwatch-fuzz.XXXXXX)}"

# A folder configured before is built as it is.
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="${TRACKWATCH_FUZZ_CXX:-clang++-14}" \
        ${TRACKWATCH_FUZZ_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER="$TRACKWATCH_FUZZ_LAUNCHER"} \
        >/dev/null
fi
cmake --build "$build" --target fuzzers --parallel "$(nproc)"

if [ $# -gt 0 ]; then
    harnesses=("$@")
else
    mapfile -t harnesses <"$build/fuzzers.txt"
fi

# Qt's own warnings (an unknown charset, a bad date) would be printed for every input.
export QT_LOGGING_RULES='*.debug=false;*.info=false;*.warning=false'
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1"

passed=0
failed=0
echo "run-fuzzers: ${#harnesses[@]} harnesses, ${seconds} s each, working corpus in $work"
for h in "${harnesses[@]}"; do
    corpus="$work/corpus/$h"
    artifacts="$work/artifacts/$h"
    log="$work/$h.log"
    mkdir -p "$corpus" "$artifacts"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -print_final_stats=1 -artifact_prefix="$artifacts/")
    if [ -f "$here/dict/$h.dict" ]; then
        args+=(-dict="$here/dict/$h.dict")
    fi
    status=0
    "$build/$h" "${args[@]}" "$corpus" "$here/corpus/$h" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(find "$artifacts" -type f | head -1)
    if [ "$status" -eq 0 ] && [ -z "$found" ]; then
        passed=$((passed + 1))
        echo "run-fuzzers: $h ok: ${runs:-?} inputs in ${seconds} s," \
            "corpus $(find "$corpus" -type f | wc -l) files"
    else
        failed=$((failed + 1))
        echo "run-fuzzers: $h FAILED (exit $status) after ${runs:-?} inputs; input: ${found:-none}"
        grep -E -A40 '^==[0-9]+==ERROR|runtime error|fuzz invariant failed|^==[0-9]+== ERROR' \
            "$log" | head -80 || tail -40 "$log"
    fi
done
echo "fuzzers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
