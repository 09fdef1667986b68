"""What signing costs: `hfsync lock` of a signed repo against the same repo unsigned, and `hfsync
apply` of a signed target against the same target unsigned.

    PYTHONPATH=. python bench/bench_signing.py [--files 1000] [--model-mb 200] [--rounds 5] [--full]

Prints:
- lock of a signed ``--files``-file repo (safetensors shards, LFS, and the .gitattributes the Hub
  adds) with `verify:` against the unsigned twin (same sizes, no `verify:`): the time ratio
  (target <= 1.2x; best of ``--rounds``, alternating who goes first, the metadata cache cleared
  each time) and the requests each made (target: one more, model.sig);
- apply of a ``--model-mb`` model (two safetensors files; ``--full``: 4 GB) with `signing:` against
  the same model without, each into a repo of its own (other random bytes, so neither dedups
  against the other): the time ratio and the bytes the process read from disk (/proc/self/io
  rchar; target: the same, since the signature is made from the digests the plan computed).
The sandbox runs in a process of its own, as the Hub is another machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_pull import ROOT, TMP, Sandbox, hfsync, publish, safetensors_file


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of a fresh process running ``command``; on a
    loaded machine the wall time carries waiting for a core, the CPU time does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rchar() -> int:
    """Bytes this process has read through read() so far (files and sockets)."""
    with open("/proc/self/io") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("rchar:"))


def key_files(folder: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    (folder / "signing.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (folder / "signing.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return folder / "signing.pem", folder / "signing.pub"


def sign_folder(folder: Path, private: Path) -> None:
    """model.sig over every file of ``folder`` (hfsync's signer; the reference tool makes the same)."""
    from hfsync.manifest.model import Signing
    from hfsync.signing import bundle, keys, statement

    digests = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in folder.rglob("*") if p.is_file()}
    payload = statement.payload(folder.name, statement.signed_set(digests))
    (folder / "model.sig").write_bytes(bundle.sign(payload, keys.load_signer(Signing(key=private))))


def requests_of(sandbox: Sandbox, run) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from hfsync.sandbox.testing import SandboxHandle

    admin = SandboxHandle(sandbox.url, sandbox.token)
    admin.reset_stats()
    run()
    stats = admin.stats()
    return stats["requests"], ", ".join(f"{n} {r['requests']}" for n, r in sorted(stats["routes"].items()))


def bench_lock(sandbox: Sandbox, files: int, rounds: int) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    private, public = key_files(TMP / "keys")
    for name in ("unsigned", "signed"):
        data = TMP / name
        for i in range(files - 1 - (name == "signed")):  # the Hub adds .gitattributes; model.sig counts
            path = data / f"shards/{i // 100:02d}/model-{i:05d}.safetensors"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(64))  # not parsed at lock: any bytes do
        if name == "signed":
            sign_folder(data, private)
        publish(api, f"sandbox/bench-{name}", data)
    project = TMP / "project"
    project.mkdir(exist_ok=True)
    shutil.copy(public, project / "trusted.pub")
    (project / "unsigned.yaml").write_text("version: 1\npulls:\n  - id: sandbox/bench-unsigned\n    dest: u\n")
    (project / "signed.yaml").write_text("version: 1\npulls:\n  - id: sandbox/bench-signed\n    dest: s\n"
                                         "    verify: {keys: [trusted.pub]}\n")
    times: dict[str, list[float]] = {"unsigned": [], "signed": []}
    for round_ in range(rounds):
        order = ("unsigned", "signed") if round_ % 2 == 0 else ("signed", "unsigned")
        for name in order:
            shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)  # no cached tree: list it again
            times[name].append(hfsync(sandbox, "lock", "--update", "-f", str(project / f"{name}.yaml")))
    commands: dict[str, list[tuple[float, float]]] = {"unsigned": [], "signed": []}
    for round_ in range(rounds):  # fresh processes: start-up and imports (cryptography) count too
        for name in ("unsigned", "signed") if round_ % 2 == 0 else ("signed", "unsigned"):
            shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)
            commands[name].append(timed([sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--token",
                                         sandbox.token, "-q", "lock", "--update", "-f", str(project / f"{name}.yaml")]))
    counts = {}
    for name in ("unsigned", "signed"):
        shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)
        counts[name] = requests_of(sandbox, lambda n=name: hfsync(sandbox, "lock", "--update", "-f",
                                                                  str(project / f"{n}.yaml")))
    pinned = (project / "signed.lock").read_text().count("- path: ")
    best = {k: min(v) for k, v in times.items()}
    print(f"lock of a {files}-file repo ({pinned} files pinned), best of {rounds}: signed with verify: "
          f"{best['signed']:.3f} s vs unsigned {best['unsigned']:.3f} s: {best['signed'] / best['unsigned']:.2f}x "
          "(target <= 1.2x)")
    wall = {k: min(w for w, _ in v) for k, v in commands.items()}
    cpu = {k: min(c for _, c in v) for k, v in commands.items()}
    print(f"as commands (fresh processes), best of {rounds}: signed {wall['signed']:.3f} s vs unsigned "
          f"{wall['unsigned']:.3f} s: {wall['signed'] / wall['unsigned']:.2f}x (target <= 1.2x); CPU time "
          f"{cpu['signed']:.3f} s vs {cpu['unsigned']:.3f} s: {cpu['signed'] / cpu['unsigned']:.2f}x")
    print(f"requests: signed {counts['signed'][0]} ({counts['signed'][1]}); unsigned {counts['unsigned'][0]} "
          f"({counts['unsigned'][1]}): {counts['signed'][0] - counts['unsigned'][0]} more (target 1, model.sig)")


def bench_apply(sandbox: Sandbox, model_mb: int, rounds: int) -> None:
    project = TMP / "apply"
    key_files(project / "keys")
    results: dict[str, list[tuple[float, int]]] = {"unsigned": [], "signed": []}
    for round_ in range(rounds):
        order = ("unsigned", "signed") if round_ % 2 == 0 else ("signed", "unsigned")
        for name in order:
            source = project / f"{name}-{round_}"
            for i in range(2):
                safetensors_file(source / f"model-{i + 1:05d}-of-00002.safetensors", model_mb * 1_000_000 // 2)
            signing = "\n    signing: {key: keys/signing.pem, public_key: keys/signing.pub}" if name == "signed" else ""
            manifest = project / f"{name}-{round_}.yaml"
            manifest.write_text(f"version: 1\nrepos:\n  - id: sandbox/apply-{name}-{round_}\n"
                                f"    source: {{path: {source.name}}}\n"
                                f"    card: {{metadata: {{license: mit}}}}{signing}\n")
            shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)  # the plan hashes every file, on both sides
            before = rchar()
            seconds = hfsync(sandbox, "apply", "--auto-approve", "-f", str(manifest))
            results[name].append((seconds, rchar() - before))
            shutil.rmtree(source)
    best = {k: min(v) for k, v in results.items()}
    print(f"apply of a {model_mb} MB model (2 safetensors files), best of {rounds}: signed {best['signed'][0]:.3f} s "
          f"vs unsigned {best['unsigned'][0]:.3f} s: {best['signed'][0] / best['unsigned'][0]:.2f}x")
    print(f"bytes read by the process: signed {best['signed'][1] / 1e6:.1f} MB vs unsigned "
          f"{best['unsigned'][1] / 1e6:.1f} MB: {best['signed'][1] / best['unsigned'][1]:.2f}x "
          "(target 1.0x: no second read of the files)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--model-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="apply of a 4 GB model")
    args = parser.parse_args()
    if args.full:
        args.model_mb = 4000
    sandbox = Sandbox(TMP / "hub")
    try:
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        bench_lock(sandbox, args.files, args.rounds)
        bench_apply(sandbox, args.model_mb, max(1, args.rounds // 2))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"{time.perf_counter() - started:.0f} s in all")
    finally:
        sandbox.stop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
