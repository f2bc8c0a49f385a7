#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apt-install-missing.sh TAG PACKAGE...: installs those of the Debian packages that are not
# installed yet (apt-get update first, only then). Prints what it did, prefixed with TAG.
# Runs as root or through sudo. Shared by install-deps.sh and install-test-deps.sh.
set -euo pipefail
tag="$1"
shift

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

missing=()
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "$tag: all $# packages already installed"
    exit 0
fi

echo "$tag: installing ${missing[*]}"
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
