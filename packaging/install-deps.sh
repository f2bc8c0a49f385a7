#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs everything Trackwatch needs to build, test and run on Debian 12. Idempotent.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git dpkg-dev
    qt6-base-dev qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev qt6-tools-dev
    qt6-l10n-tools qt6-translations-l10n libqt6opengl6-dev libqt6sql6-psql libqt6sql6-sqlite
    libqcustomplot-dev libqcustomplot2.1-qt6 libspdlog-dev libpq-dev
    postgresql-15 postgresql-contrib postgresql-15-cron
    xvfb xauth fonts-dejavu-core
    prometheus # promtool checks the /metrics exposition in the tests
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
