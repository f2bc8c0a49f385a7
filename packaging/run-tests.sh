#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is needed (packaging/install-deps.sh, then the test-only servers and tools of
# packaging/install-test-deps.sh), starts the local PostgreSQL with the test role, builds with
# warnings as errors and runs every test suite (unit, PostgreSQL, UI offscreen, benchmark smoke
# runs). Then, when asked:
#   --sanitizers     the unit tests in an ASan+UBSan build (build-asan) and the concurrent
#                    core's tests in a TSan build (build-tsan); see tests/sanitizers/README.md;
#   --fuzz SECONDS   every libFuzzer harness for SECONDS each (tests/fuzz/run-fuzzers.sh, which
#                    builds them with clang 14 in build-fuzz);
#   --all            both, with 30 s per harness (TRACKWATCH_FUZZ_SECONDS changes it). CI.
# Every stage runs even when an earlier one failed (but for the installs and PostgreSQL); a
# summary with each stage's time closes the output, and the exit status is 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=0
fuzz_seconds=0
while [ $# -gt 0 ]; do
    case "$1" in
    --sanitizers) sanitizers=1 ;;
    --fuzz)
        fuzz_seconds="${2:?--fuzz needs a number of seconds}"
        shift
        ;;
    --all)
        sanitizers=1
        fuzz_seconds="${TRACKWATCH_FUZZ_SECONDS:-30}"
        ;;
    -h | --help)
        sed -n '3,13p' "$0"
        exit 0
        ;;
    *)
        echo "run-tests: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

jobs="$(nproc)"
build="${TRACKWATCH_BUILD_DIR:-build}"
stage_names=()
stage_results=()
stage_seconds=()
failed=0

# stage NAME COMMAND...: runs one stage, records whether it passed and how long it took.
stage() {
    local name="$1" start result
    shift
    echo
    echo "=== run-tests: $name"
    start=$(date +%s)
    if "$@"; then result=passed; else
        result=FAILED
        failed=$((failed + 1))
    fi
    stage_names+=("$name")
    stage_results+=("$result")
    stage_seconds+=($(($(date +%s) - start)))
    echo "=== run-tests: $name $result in ${stage_seconds[-1]} s"
    [ "$result" = passed ]
}

summary() {
    echo
    echo "=== run-tests: summary"
    printf '  %-22s %-7s %6s\n' stage result seconds
    local i total=0
    for i in "${!stage_names[@]}"; do
        printf '  %-22s %-7s %6d\n' "${stage_names[$i]}" "${stage_results[$i]}" \
            "${stage_seconds[$i]}"
        total=$((total + stage_seconds[i]))
    done
    printf '  %-22s %-7s %6d\n' total "" "$total"
    echo "stages: $((${#stage_names[@]} - failed)) passed, $failed failed"
}

# The unit tests' names, which are also their targets, as the configured build dir lists them.
unit_tests() { ctest --test-dir "$1" -N -L unit | sed -n 's/^ *Test *#[0-9]*: //p'; }

# sanitizer_build DIR SANITIZERS [CMAKE ARGS...]: configures DIR for a sanitizer build. No
# -Werror: the normal build judges warnings, and instrumentation makes compilers warn more.
sanitizer_build() {
    local dir="$1" sanitizers="$2"
    shift 2
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRACKWATCH_WERROR=OFF \
        -DTRACKWATCH_SANITIZE="$sanitizers" "$@" >/dev/null
}

# GCC with ASan+UBSan, for the unit tests.
asan_dir="build-asan"
asan_build() {
    sanitizer_build "$asan_dir" address,undefined || return 1
    # shellcheck disable=SC2046 # one target per word
    cmake --build "$asan_dir" --parallel "$jobs" --target $(unit_tests "$asan_dir")
}
asan_tests() {
    local supp="$PWD/tests/sanitizers"
    ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1" \
        LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --test-dir "$asan_dir" -L unit --output-on-failure --timeout 1200
}

# GCC with TSan, for the tests of the parts built for concurrent use.
tsan_dir="build-tsan"
tsan_tests=(tst_query_cache tst_metrics tst_rate_limiter)
tsan_build() {
    sanitizer_build "$tsan_dir" thread || return 1
    cmake --build "$tsan_dir" --parallel "$jobs" --target "${tsan_tests[@]}"
}
tsan_run() {
    TSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/tsan.supp:second_deadlock_stack=1" \
        ctest --test-dir "$tsan_dir" --output-on-failure --timeout 1200 \
        -R "^($(IFS='|' && echo "${tsan_tests[*]}"))\$"
}

set +e
stage install bash -c 'bash packaging/install-deps.sh && bash packaging/install-test-deps.sh' ||
    { summary; exit 1; }
stage postgresql bash packaging/setup-test-postgres.sh || { summary; exit 1; }
export TRACKWATCH_TEST_PG="${TRACKWATCH_TEST_PG:-postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch}"

if stage build bash -c "cmake -S . -B '$build' -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTRACKWATCH_WERROR=ON && cmake --build '$build' --parallel $jobs"; then
    stage tests ctest --test-dir "$build" --output-on-failure --timeout 900
fi
if [ "$sanitizers" = 1 ]; then
    if stage "asan+ubsan build" asan_build; then
        stage "asan+ubsan unit tests" asan_tests
    fi
    if stage "tsan build" tsan_build; then
        stage "tsan tests" tsan_run
    fi
fi
if [ "$fuzz_seconds" -gt 0 ]; then
    stage "fuzz ${fuzz_seconds}s each" bash tests/fuzz/run-fuzzers.sh "$fuzz_seconds"
fi
summary
[ "$failed" -eq 0 ]
