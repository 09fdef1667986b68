"""A fleet pulling one locked model: from an OCI registry against from the sandbox Hub.

    PYTHONPATH=. python bench/bench_fleet.py [--size-mb 1024] [--files 4] [--clients 16] [--parallelism 4]

Defaults are small (64 MB); ``--size-mb 1024`` is the full 1 GB model.

1. ``--clients`` concurrent ``hfsync pull --locked`` processes (each its own folder, each
   verifying every file against the lock) take the model from the CNCF distribution
   registry (``sources: [oci://...]``, after ``hfsync oci push``), then from the sandbox
   Hub: wall time, throughput of each, the ratio registry / Hub, and the bytes the
   registry served (from its access log) against the bytes the clients needed.
2. A Hub-protocol mirror (a second sandbox over a copy of the first one's data) serves one
   weights file corrupted: one pull completes, the corrupted file from the Hub, and its
   ``--metrics-file`` shows the bytes per source and the file the mirror was passed over for.

Servers run as child processes on 127.0.0.1 with data generated in a temporary folder, and
are stopped through their PIDs. Needs /usr/bin/docker-registry (Debian's docker-registry).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pull import ROOT, TMP, Sandbox, safetensors_file

sys.path.insert(0, str(ROOT))


def cli(sandbox: Sandbox, *args: str, env: dict[str, str] | None = None, quiet: bool = True) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, *(["-q"] if quiet else []), "--no-progress", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": sandbox.token, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def check(process: subprocess.Popen, what: str) -> str:
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{what} exited {process.returncode}:\n{out}{err}")
    return err


def project(name: str, lock: Path | None = None) -> Path:
    folder = TMP / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/fleet\n    dest: out\n")
    if lock is not None:
        shutil.copy(lock, folder / "hfsync.lock")
    return folder / "hfsync.yaml"


def fleet(sandbox: Sandbox, lock: Path, clients: int, parallelism: int, sources: str, name: str) -> float:
    """Seconds for ``clients`` concurrent locked pulls, each into its own folder."""
    manifests = [project(f"{name}-{i}", lock) for i in range(clients)]
    start = time.perf_counter()
    running = [cli(sandbox, "pull", "--locked", "--parallelism", str(parallelism), "-f", str(m),
                   env={"HFSYNC_SOURCES": sources, "HFSYNC_CACHE_DIR": str(m.parent / "cache")})
               for m in manifests]
    for i, process in enumerate(running):
        check(process, f"pull {name}-{i}")
    elapsed = time.perf_counter() - start
    for m in manifests:  # the full size is clients x 1 GB: free the disk before the next fleet
        shutil.rmtree(m.parent)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=64, help="model size (1024 for the full 1 GB)")
    parser.add_argument("--files", type=int, default=4, help="weights files the model is split into")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--parallelism", type=int, default=4, help="files each pull transfers at once")
    args = parser.parse_args()

    from huggingface_hub import HfApi

    from tests.registry import missing, running_registry

    reason = missing()
    if reason:
        sys.exit(reason)
    size = args.size_mb * 1024 * 1024
    model = TMP / "model"
    for i in range(args.files):
        safetensors_file(model / f"model-{i + 1:05d}-of-{args.files:05d}.safetensors", size // args.files)
    (model / "config.json").write_text('{"hidden_size": 8}\n')
    sandbox = Sandbox(TMP / "hub")
    mirror = None
    try:
        api = HfApi(endpoint=sandbox.url, token=sandbox.token)
        api.create_repo("sandbox/fleet", exist_ok=True)
        api.upload_folder(folder_path=model, repo_id="sandbox/fleet", commit_message="bench data")
        seed = project("seed")
        check(cli(sandbox, "lock", "-f", str(seed)), "lock")
        check(cli(sandbox, "pull", "--locked", "-f", str(seed)), "seed pull")
        lock = seed.parent / "hfsync.lock"
        total = sum(p.stat().st_size for p in (seed.parent / "out").iterdir() if p.is_file())

        with running_registry(TMP / "registry") as registry:
            auth = {"REGISTRY_AUTH_FILE": str(registry.auth_file)}
            check(cli(sandbox, "oci", "push", registry.url, "-f", str(seed), env=auth), "oci push")
            served = registry.bytes_served()
            os.environ.update(auth)
            from_registry = fleet(sandbox, lock, args.clients, args.parallelism, registry.url, "oci")
            registry_bytes = registry.bytes_served() - served
        os.environ.pop("REGISTRY_AUTH_FILE")
        from_hub = fleet(sandbox, lock, args.clients, args.parallelism, "", "hub")

        need = total * args.clients
        print(f"{args.clients} concurrent locked pulls of a {total / 1e6:.0f} MB model "
              f"({args.files} weights files + config), each verifying every file:")
        print(f"  from the OCI registry: {from_registry:6.1f} s  {need / from_registry / 1e6:7.1f} MB/s")
        print(f"  from the sandbox Hub:  {from_hub:6.1f} s  {need / from_hub / 1e6:7.1f} MB/s")
        print(f"  ratio registry / Hub (throughput): {from_hub / from_registry:.2f}x")
        print(f"  registry bytes served: {registry_bytes / 1e6:.1f} MB for {need / 1e6:.1f} MB needed "
              f"({registry_bytes / need:.3f}x)")

        # A mirror serving one weights file corrupted.
        import json
        import urllib.request

        shutil.copytree(TMP / "hub", TMP / "mirror-data")
        mirror = Sandbox(TMP / "mirror-data")
        first = sorted(f for f in lock.read_text().splitlines() if "sha256:" in f)[0].split("sha256:")[1].strip()
        rule = {"method": "GET", "path": f"/sandbox-lfs/cdn/{first}/", "action": "corrupt", "after_bytes": 4096,
                "times": 100}
        request = urllib.request.Request(f"{mirror.url}/_sandbox/faults", data=json.dumps({"faults": [rule]}).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
        manifest = project("mirror-client", lock)
        metrics = manifest.parent / "pull.prom"
        notes = check(cli(sandbox, "pull", "--locked", "-f", str(manifest), "--metrics-file", str(metrics),
                          env={"HFSYNC_SOURCES": mirror.url}, quiet=False), "pull through a corrupting mirror")
        print(f"A mirror ({mirror.url}) serving one corrupted weights file, the Hub at {sandbox.url}:")
        print("  pull completed; it said: " + " | ".join(n for n in notes.splitlines() if n.startswith("source ")))
        for line in metrics.read_text().splitlines():
            if line.startswith(("hfsync_pull_source_", "hfsync_pull_success")):
                print("  " + line)
    finally:
        sandbox.stop()
        if mirror is not None:
            mirror.stop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
