#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what Trackwatch needs to build and run on Debian 12: the compiler and build tools,
# Qt, spdlog, and the PostgreSQL client driver (not the server). Idempotent. Servers and tools
# that only the tests use are installed by packaging/install-test-deps.sh, which
# packaging/run-tests.sh runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

packages=(
    build-essential cmake ninja-build pkg-config git dpkg-dev
    qt6-base-dev qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev qt6-tools-dev
    qt6-l10n-tools qt6-translations-l10n libqt6opengl6-dev libqt6sql6-psql libqt6sql6-sqlite
    libqcustomplot-dev libqcustomplot2.1-qt6 libspdlog-dev
    libpq-dev # the PostgreSQL client library (COPY and pipelining); no server
    fonts-dejavu-core
)

exec bash "$here/apt-install-missing.sh" install-deps "${packages[@]}"
