# Sourced by the other scripts: a project virtual environment with hfsync and its test tools.
# HFSYNC_VENV picks the environment (default .venv); HFSYNC_NO_INSTALL=1 uses it as it is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${HFSYNC_VENV:-.venv}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if [ -z "${HFSYNC_NO_INSTALL:-}" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
fi
export PATH="$VENV/bin:$PATH"
