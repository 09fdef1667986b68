"""An apply killed with SIGKILL in the middle of its Xet upload, then run again: bytes the
storage received on each run against the file, with hfsync's setting and with hf_xet's default.

Usage: PYTHONPATH=. python bench/bench_xet_resume.py [--size-mb 300] [--kill-at 0.5]

Starts ``hfsync sandbox serve`` in a child process, writes one safetensors file of float-like
data, runs ``hfsync apply`` in a child process and kills it (SIGKILL) once ``--kill-at`` of the
file's stored size has reached the storage, then runs apply again to the end. Done twice, each
time with a fresh hf_xet cache and repo: once as hfsync runs (hf_xet records each xorb as soon
as it is uploaded), once with hf_xet's default (it records them every 20 s or 64 xorbs), the
peer. Prints, per run, the xorb and shard bytes the storage received, as a fraction of the file.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _publish_common import TMP, sandbox_process
from bench_xet import _make_file

from hfsync.hub.internals import XORB_MEMORY
from hfsync.sandbox.testing import SandboxHandle

MB = 1_000_000
ROOT = Path(__file__).resolve().parent.parent


def _stored(hub: SandboxHandle) -> int:
    routes = hub.stats()["routes"]
    return sum(routes.get(k, {}).get("bytes_in", 0) for k in ("POST xorb-upload", "POST shard-upload"))


def _apply(hub: SandboxHandle, manifest: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", hub.url, "--no-progress", "apply", "-f", str(manifest),
         "--auto-approve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _held(data: Path) -> int:
    """Bytes of the xorbs the storage holds: those whose upload it received whole."""
    return sum(p.stat().st_size for p in (data / "xet" / "xorbs").glob("*/*") if p.suffix != ".idx")


def run(hub: SandboxHandle, source: Path, name: str, kill_at: int, memory: str | None) -> tuple[int, int, int, bool]:
    """Bytes received during the killed run, xorb bytes the storage then held, bytes received
    during the rerun, and whether the kill came before the apply's end."""
    manifest = source.parent / f"{name}.yaml"
    manifest.write_text(f"version: 1\nrepos:\n  - id: sandbox/{name}\n    source: {{path: {source.name}}}\n"
                        "    card: {generate: false}\n")
    env = {**os.environ, "HF_TOKEN": hub.token, "PYTHONPATH": str(ROOT), "HF_XET_CACHE": str(TMP / f"xet-{name}")}
    env.pop(XORB_MEMORY, None)
    if memory is not None:
        env[XORB_MEMORY] = memory
    hub.reset_stats()
    killed = _apply(hub, manifest, env)
    while killed.poll() is None and _stored(hub) < kill_at:
        time.sleep(0.02)
    early = killed.poll() is None
    if early:
        os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    first, held = _stored(hub), _held(TMP / f"hub-{name}")
    hub.reset_stats()
    again = _apply(hub, manifest, env)
    output = again.communicate()[0]
    if again.returncode != 0:
        raise RuntimeError(f"the rerun failed:\n{output}")
    return first, held, _stored(hub), early


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the file stored when the kill comes")
    args = parser.parse_args()
    source = TMP / "src"
    source.mkdir()
    _make_file(source / "model.safetensors", args.size_mb * MB)
    size = (source / "model.safetensors").stat().st_size
    # Each run on a Hub of its own: one run's xorbs would dedup the next.
    with sandbox_process("hub-clean") as hub:
        # The file's size as stored (xorbs compress float-like data a little): one apply, never killed.
        clean = run(hub, source, "clean", 10 * size, None)[0]
    print(f"file: {size / MB:.1f} MB; one uninterrupted apply sends {clean / MB:.1f} MB of xorbs and shards; "
          f"the kill comes once {args.kill_at:.0%} of that has been received; percentages are of that figure")
    results = {}
    for label, memory in (("hfsync (each xorb recorded)", None), ("hf_xet default (every 20 s / 64 xorbs)", "64")):
        name = "hfsync" if memory is None else "default"
        with sandbox_process(f"hub-{name}") as hub:
            first, held, second, early = run(hub, source, name, int(clean * args.kill_at), memory)
        results[name] = second
        note = "" if early else " (the apply ended before the kill: nothing to resume)"
        print(f"{label}: the killed run sent {first / MB:.1f} MB ({first / clean:.0%}), of which the storage kept "
              f"{held / MB:.1f} MB in whole xorbs; the rerun sent {second / MB:.1f} MB ({second / clean:.0%}) where "
              f"the storage lacked {(clean - held) / MB:.1f} MB ({(clean - held) / clean:.0%}){note}")
    if results["default"]:
        print(f"rerun bytes, hfsync / hf_xet default: {results['hfsync'] / results['default']:.2f}")


if __name__ == "__main__":
    main()
