#!/usr/bin/env bash
# Shared by scripts/dev and scripts/test: check the toolchain, then make the project's
# virtualenv and node_modules, reinstalling only when a requirements or lock file changed.
# Usage: source scripts/setup.sh   (from bash, with `set -euo pipefail`)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

fail() { echo "setup: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || fail "Python 3.11+ is required (no '$PYTHON' on PATH; set PYTHON=/path/to/python3.11)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "Python 3.11+ is required; '$PYTHON' is $("$PYTHON" -V 2>&1)"
command -v node >/dev/null || fail "Node.js 20+ is required (it runs Azurite, the storage emulator)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
  || fail "Node.js 20+ is required; found $(node --version)"
command -v npm >/dev/null || fail "npm is required (it comes with Node.js)"

cd "$ROOT"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python requirements"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  echo "$want" > .venv/.requirements.sha256
fi
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.package-lock.sha256 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Node packages (Azurite)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.package-lock.sha256
fi
