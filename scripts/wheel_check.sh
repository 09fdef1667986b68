#!/usr/bin/env bash
# Build the sdist, build the wheel from it (as pip would for a user), install that wheel into a
# fresh virtual environment outside the checkout, and run the README's main job (the demo) with
# that install: what a user gets from `pip install hfsync-gitops`, not the editable checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
python="${PYTHON:-python3}"
out="$(mktemp -d "${TMPDIR:-/tmp}/hfsync-wheel.XXXXXX")"
trap 'rm -rf "$out"' EXIT

"$python" -c 'import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])' "$out/dist" >/dev/null
sdist="$(ls "$out"/dist/*.tar.gz)"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$out/dist" "$sdist"
wheel="$(ls "$out"/dist/*.whl)"
echo "Built $(basename "$sdist") and $(basename "$wheel") (from the sdist)."

"$python" -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel"
# From a folder outside the checkout, hfsync must come from the venv's site-packages.
where="$(cd "$out" && "$out/venv/bin/python" -c 'import hfsync; print(hfsync.__file__)')"
case "$where" in
  "$out/venv/"*) echo "hfsync installed at $where" ;;
  *) echo "wheel_check.sh: hfsync imported from $where, not the installed wheel" >&2; exit 1 ;;
esac

cd "$out"
HFSYNC_VENV="$out/venv" HFSYNC_NO_INSTALL=1 PYTHONPATH= bash "$root/scripts/demo.sh"
echo "Wheel check passed: the installed wheel runs the main job."
