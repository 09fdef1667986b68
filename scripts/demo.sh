#!/usr/bin/env bash
# Install into .venv and run the main job end to end on the example manifest.
source "$(dirname "$0")/bootstrap.sh"
hfsync validate -f examples/hfsync.yaml
