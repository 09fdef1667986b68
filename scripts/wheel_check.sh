#!/usr/bin/env bash
# Build the sdist, build the wheel from it (as pip would for a user), install that wheel into a
# fresh virtual environment outside the checkout, and run the README's main job (the demo) with
# that install and the end-to-end tests of the commands that reach furthest: what a user gets
# from `pip install hfsync-gitops`, not the editable checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
python="${PYTHON:-python3}"
# Where the test tools (pytest and the libraries the tests use) are installed, read before any cd.
tools="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
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

# The end-to-end tests of the commands that reach furthest (upgrade PRs, pulls from mirrors and
# OCI registries, credentials across hosts, proxies, signed pulls, batched applies), run from the
# wheel: the tests and examples are copied outside the checkout, so `hfsync` (imported, or run as
# `python -m hfsync` or as the `hfsync` command) can only be the installed one. pytest and the test
# libraries come from the test environment, appended after the wheel's own site-packages (a path
# in a .pth file: the test environment's own .pth files, the editable install among them, are not read).
site="$("$out/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$tools" > "$site/zz-hfsync-test-tools.pth"
cp -r "$root/tests" "$root/examples" "$out/"
find "$out/tests" -name __pycache__ -prune -exec rm -rf {} +
where="$("$out/venv/bin/python" -c 'import hfsync, pytest; print(hfsync.__file__)')"
case "$where" in
  "$out/venv/"*) ;;
  *) echo "wheel_check.sh: with the test tools, hfsync imported from $where" >&2; exit 1 ;;
esac
PATH="$out/venv/bin:$PATH" PYTHONPATH= "$out/venv/bin/python" -m pytest -c "$root/pyproject.toml" \
  --rootdir "$out" -p no:cacheprovider \
  tests/github/test_upgrade_pr.py tests/github/test_untrusted_upstream.py tests/github/test_untrusted_hub_text.py \
  tests/github/test_api_redirects.py tests/github/test_branch_names.py tests/pull/test_oci.py \
  tests/pull/test_sources.py tests/pull/test_registry_credentials.py tests/pull/test_upgrade.py \
  tests/pull/test_proxies.py tests/pull/test_signed_pulls.py tests/publish/test_batched.py tests/cli/test_startup.py
echo "Wheel check passed: the installed wheel runs the main job and the end-to-end tests above."
