#!/usr/bin/env bash
# Install into .venv and run the linters, the type checker and the whole test suite.
source "$(dirname "$0")/bootstrap.sh"
ruff check .
# The type checker, configured in pyproject.toml ([tool.mypy]); its cache lives in the venv.
python -m mypy --cache-dir "$VENV/.mypy_cache"
python -m pytest "$@"
if [ $# -eq 0 ]; then
  # The suite runs as users' installs do, hf_xet on; the tests of uploads and downloads
  # through the client's default path run once more on the legacy LFS path.
  HF_HUB_DISABLE_XET=1 python -m pytest -m both_paths
fi
