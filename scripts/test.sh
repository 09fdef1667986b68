#!/usr/bin/env bash
# Install into .venv and run the linters and the whole test suite.
source "$(dirname "$0")/bootstrap.sh"
ruff check .
python -m pytest "$@"
