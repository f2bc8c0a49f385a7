#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what only the tests need, on top of packaging/install-deps.sh: the servers the test
# suites start (PostgreSQL 15 with pg_cron; Dovecot for the IMAP tests), promtool (Debian's
# prometheus package) that checks the /metrics exposition, stress-ng for loaded runs, and
# clang 14 with libFuzzer and the sanitizer runtimes for the fuzzing and sanitizer builds.
# Idempotent. Run by packaging/run-tests.sh; not needed to build or run Trackwatch. On a machine
# with systemd, installing the servers may start their system services.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

packages=(
    postgresql-15 postgresql-contrib postgresql-15-cron
    prometheus # promtool checks the /metrics exposition in tst_metrics and tst_api
    dovecot-imapd
    stress-ng
    clang-14 libfuzzer-14-dev libclang-rt-14-dev # tests/fuzz and the sanitizer builds
)

exec bash "$here/apt-install-missing.sh" install-test-deps "${packages[@]}"
