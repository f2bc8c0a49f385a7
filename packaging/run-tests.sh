#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is needed, starts the local PostgreSQL with the test role, builds with warnings
# as errors and runs every test suite (unit, PostgreSQL, UI offscreen, benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
bash packaging/setup-test-postgres.sh
export TRACKWATCH_TEST_PG="${TRACKWATCH_TEST_PG:-postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch}"

build="${TRACKWATCH_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRACKWATCH_WERROR=ON
cmake --build "$build" --parallel "$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 900
