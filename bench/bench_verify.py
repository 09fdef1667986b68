"""`hfsync verify` with the pull's state record against `sha256sum -c` of the same files.

    PYTHONPATH=. python bench/bench_verify.py [--files 4] [--mb 64] [--full] [--rounds 3]

``--files`` safetensors files of ``--mb`` MB each (``--full``: 4 x 256 MB) are published to
the sandbox, locked and pulled once (not timed). Then, alternating who goes first, the
best of ``--rounds``: `hfsync verify` (blake3 against .hfsync/state.json) and `sha256sum
-c` over the same files, both from the page cache. Prints the ratio: target >= 2.5x.
Also prints `verify --deep` (the lock's own sha256, no record) for reference.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import time

from bench_pull import TMP, Sandbox, hfsync, manifest, publish, read_all, safetensors_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--full", action="store_true", help="4 files of 256 MB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.full:
        args.files, args.mb = 4, 256

    from huggingface_hub import HfApi

    sandbox = Sandbox(TMP / "hub")
    try:
        data = TMP / "repo"
        for i in range(args.files):
            safetensors_file(data / f"model-{i}.safetensors", args.mb * 1_000_000)
        publish(HfApi(endpoint=sandbox.url, token=sandbox.token), "sandbox/bench-verify", data)
        path = manifest(TMP / "project", "sandbox/bench-verify")
        hfsync(sandbox, "lock", "-f", str(path))
        hfsync(sandbox, "pull", "--locked", "-f", str(path))
        out = TMP / "project" / "out"
        files = sorted(out.glob("*.safetensors"))
        sums = TMP / "SHA256SUMS"
        sums.write_text("".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in files))
        read_all(files)  # both start from the page cache

        ours, theirs, deep = [], [], []

        def verify() -> None:
            ours.append(hfsync(sandbox, "verify", "-f", str(path)))

        def peer() -> None:
            start = time.perf_counter()
            subprocess.run(["sha256sum", "--quiet", "-c", str(sums)], cwd=out, check=True)
            theirs.append(time.perf_counter() - start)

        for round_ in range(args.rounds):
            for step in (verify, peer) if round_ % 2 == 0 else (peer, verify):
                step()
            deep.append(hfsync(sandbox, "verify", "--deep", "-f", str(path)))
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"verify {args.files} x {args.mb} MB ({size:.0f} MB): hfsync verify {min(ours):.3f} s, "
              f"sha256sum -c {min(theirs):.3f} s: {min(theirs) / min(ours):.2f}x (target >= 2.5x); "
              f"verify --deep {min(deep):.3f} s")
    finally:
        sandbox.stop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
