#!/usr/bin/env bash
# The README's main job, end to end on examples/ against a local sandbox Hub, with no token
# and no network: plan -> apply -> plan shows no changes -> lock -> pull -> verify.
# Any failing step stops the demo with its exit code; the sandbox is stopped in every case.
source "$(dirname "$0")/bootstrap.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/hfsync-demo.XXXXXX")"
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    echo "Sandbox Hub (pid $sandbox_pid) stopped."
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The demo never touches the user's Hugging Face login, cache or hfsync cache.
export HF_HOME="$work/hf-home" HF_XET_CACHE="$work/hf-home/xet" HFSYNC_CACHE_DIR="$work/hfsync-cache"
export HF_HUB_DISABLE_TELEMETRY=1
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE

hfsync sandbox serve --data "$work/hub" --port 0 > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 200); do
  grep -q '^Token for user sandbox: ' "$work/sandbox.log" && break
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    cat "$work/sandbox.log" >&2
    echo "demo.sh: the sandbox Hub did not start" >&2
    exit 1
  fi
  sleep 0.05
done
HF_ENDPOINT="$(sed -n 's/^Sandbox Hub listening on //p' "$work/sandbox.log")"
HF_TOKEN="$(sed -n 's/^Token for user sandbox: //p' "$work/sandbox.log")"
if [ -z "$HF_ENDPOINT" ] || [ -z "$HF_TOKEN" ]; then
  cat "$work/sandbox.log" >&2
  echo "demo.sh: the sandbox Hub did not report its URL and token in time" >&2
  exit 1
fi
export HF_ENDPOINT HF_TOKEN
echo "Sandbox Hub (pid $sandbox_pid) at $HF_ENDPOINT"

cp -R examples "$work/project"
cd "$work/project"

step() {
  echo
  echo "==> $*"
  "$@" || { code=$?; echo "demo.sh: FAILED (exit $code): $*" >&2; exit "$code"; }
}

step hfsync validate
step hfsync plan
step hfsync apply --auto-approve
step hfsync plan --detailed-exitcode   # exit 2 (changes left after apply) fails the demo
step hfsync lock
step hfsync pull --locked
step hfsync verify

echo
echo "Demo complete: published 4 repos to the sandbox Hub, pulled one back and verified it."
