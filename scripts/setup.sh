#!/usr/bin/env bash
# Fresh-machine set-up: the system packages gpu.js's headless-gl needs to build and to run under a
# virtual X server (Debian/Ubuntu), Chromium for the playground's browser tests, then the locked
# npm packages. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for bin in xvfb-run pkg-config; do command -v "$bin" >/dev/null 2>&1 || need+=("$bin"); done
for pc in x11 xext xi; do pkg-config --exists "$pc" 2>/dev/null || need+=("$pc"); done
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing system packages for headless GL (missing: ${need[*]})"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      xvfb xauth libxi-dev libxext-dev libx11-dev pkg-config libgl1-mesa-dri build-essential python3 >/dev/null
  else
    echo "setup: no apt-get; GL tests will skip (install xvfb and X11/Xext/Xi headers by hand to run them)" >&2
  fi
fi

# the playground's browser tests drive Debian's Chromium (playwright-core never downloads one)
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing chromium for the playground's browser tests"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

npm ci --no-audit --no-fund
