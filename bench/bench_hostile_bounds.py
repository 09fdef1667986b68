"""Hostile servers and inputs, run as a user runs hfsync, each held to a memory and a time bound.

Usage: PYTHONPATH=. python bench/bench_hostile_bounds.py [pulls|cards|listings|lines ...] (default: all)

A sandbox Hub and the hostile servers (tests.hostile: a body that never ends) run in this
process, bound to 127.0.0.1; `hfsync` runs in a child process with the client's defaults
(Xet on). Each case's peak RSS is that child's own (``os.wait4``), with its wall time,
printed against the case's bound and, as a ratio, against its peer: the same command
against an honest server in the same run. Exit 1 when a bound is exceeded or a case does
not end as it should.

Cases:
- endless OCI manifest: a pull whose first source is a registry answering the manifest
  forever; the registry is passed over at 4 MiB and the Hub serves the file.
- LZ4 bomb (30 MiB from one 128 KiB chunk, within the format's packed size) on each of the
  three xorb ranges fetched at once: refused one byte past 128 KiB, retried, converged.
- LZ4 bomb (1 GiB from a 4 MiB chunk, the size the issue met): refused at its header.
- 50 MB README on the Hub and a card merge with no local README: not read, the plan says so.
- 1 MB front matter on the Hub's README: merged, its front matter parsed once.
- endless Hub repo info: `lock` stops at 64 MiB.
- endless registry token answer: stops at 1 MiB.
- a 50 MB text file that is one line, clean and with a token 40 MB in: the secret scan reads
  it in windows (peak RSS at most 150 MB; the token found on line 1, never printed).
- a 50 MB line of `//a` with `/:_authToken=` in every MiB: the npm rule, quadratic in a line's
  length in detect-secrets (135 s for 400 KB), in linear time.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
# Runs one command and writes its peak RSS (its own, from wait4) to a file. A small process of
# its own, so the fork before the exec does not count this bench's memory as the child's.
WRAPPER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(f"{usage.ru_maxrss * 1024} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
RSS_BOUND = 200 * MIB  # a child's peak RSS, whatever the server sends
TIME_BOUND = 15.0  # seconds of wall time (a retry's backoff included)


@dataclass
class Run:
    code: int
    output: str  # stdout and stderr
    rss: int
    seconds: float
    cpu: float  # the child's user + system seconds


@dataclass
class Case:
    name: str
    run: Run
    peer: Run
    expected: str  # what the output must say (empty: nothing asked)
    code: int = 0
    rss_bound: int = 0  # this case's own, when tighter than RSS_BOUND
    never: str = ""  # what the output must not say

    def verdict(self) -> str:
        problems = []
        if self.run.code != self.code:
            problems.append(f"exit {self.run.code}, expected {self.code}")
        if self.expected and self.expected not in self.run.output:
            problems.append(f"the output lacks {self.expected!r}")
        if "Traceback" in self.run.output:
            problems.append("traceback")
        if self.never and self.never in self.run.output:
            problems.append("the output shows the secret")
        if self.run.rss > (self.rss_bound or RSS_BOUND):
            problems.append(f"peak RSS over {(self.rss_bound or RSS_BOUND) // MIB} MB")
        if self.run.seconds > TIME_BOUND:
            problems.append(f"over {TIME_BOUND:.0f} s")
        return "ok" if not problems else "FAIL: " + "; ".join(problems)


def safetensors(size: int) -> bytes:
    count = max(size - 128, 8)
    header = json.dumps({"w": {"dtype": "U8", "shape": [count], "data_offsets": [0, count]}}).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + os.urandom(count)


def bomb_chunk(unpacked: int) -> bytes:
    """One xorb chunk whose header says 128 KiB and whose LZ4 frame unpacks to ``unpacked`` bytes."""
    import lz4.frame

    compressor = lz4.frame.LZ4FrameCompressor()
    parts = [compressor.begin()]
    parts += [compressor.compress(bytes(MIB)) for _ in range(unpacked // MIB)]
    frame = b"".join(parts) + compressor.flush()
    return bytes([0]) + len(frame).to_bytes(3, "little") + bytes([1]) + (128 * 1024).to_bytes(3, "little") + frame


class Bench:
    def __init__(self, work: Path) -> None:
        from hfsync.sandbox.server import SandboxServer
        from hfsync.sandbox.testing import SandboxHandle

        self.work = work
        self.server = SandboxServer(work / "hub").start()
        self.hub = SandboxHandle(self.server.url, self.server.token, self.server.data_dir, self.server)
        self.count = 0

    def close(self) -> None:
        self.server.stop()

    def hfsync(self, *args: str, env: dict[str, str] | None = None, endpoint: str | None = None) -> Run:
        """``hfsync ARGS`` in a child process: its exit code, stderr, own peak RSS and wall time."""
        self.count += 1
        home = self.work / f"home-{self.count}"
        environ = {**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": self.hub.token, "HF_HOME": str(home / "hf"),
                   "HF_XET_CACHE": str(home / "xet"), "HFSYNC_CACHE_DIR": str(home / "hfsync"),
                   "HF_HUB_DISABLE_TELEMETRY": "1", "REGISTRY_AUTH_FILE": str(home / "no-auth.json"),
                   **(env or {})}
        environ.pop("HF_HUB_DISABLE_XET", None)
        command = [sys.executable, "-m", "hfsync", "--endpoint", endpoint or self.hub.url, "--no-progress", *args]
        rss = self.work / f"rss-{self.count}"
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(rss), *command], env=environ, capture_output=True,
                              text=True, timeout=600)
        seconds = time.monotonic() - start
        peak, cpu = rss.read_text().split()
        return Run(done.returncode, done.stdout + done.stderr, int(peak), seconds, float(cpu))

    def project(self, name: str, manifest: str) -> Path:
        folder = self.work / name
        folder.mkdir()
        (folder / "hfsync.yaml").write_text(manifest)
        return folder / "hfsync.yaml"

    def seed(self, repo: str, files: dict[str, bytes]) -> None:
        from huggingface_hub import HfApi

        folder = self.work / f"seed-{repo.replace('/', '-')}"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        api = HfApi(endpoint=self.hub.url, token=self.hub.token)
        api.create_repo(repo, exist_ok=True)
        api.upload_folder(folder_path=folder, repo_id=repo)

    # -- pulls ----------------------------------------------------------------------------

    def pulls(self) -> list[Case]:
        from tests.hostile import EndlessServer

        weights = safetensors(8 * MIB)
        self.seed("sandbox/pulled", {"model.safetensors": weights, "config.json": b'{"a": 1}\n'})
        manifest = self.project("pull", "version: 1\npulls:\n  - id: sandbox/pulled\n    dest: vendor\n")
        assert self.hfsync("lock", "-f", str(manifest)).code == 0

        def pull(**kwargs: object) -> Run:
            shutil.rmtree(manifest.parent / "vendor", ignore_errors=True)
            return self.hfsync("pull", "--locked", "-f", str(manifest), **kwargs)  # type: ignore[arg-type]

        peer = pull()
        cases = []
        registry = EndlessServer({"/v2/": (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                                           b'{"layers": [', b'{"mediaType": "x"}, ' * 4096)}, cap=4096 * MIB)
        try:
            run = pull(env={"HFSYNC_SOURCES": f"oci://{registry.host}/models"})
            cases.append(Case("endless OCI manifest (pull)", run, peer, "sent more than 4 MiB"))
            token = EndlessServer({}, cap=4096 * MIB)
            token.routes.update({
                "/v2/": (401, {"WWW-Authenticate": f'Bearer realm="http://{token.host}/token"'}, b"{}", b""),
                "/token": (200, {"Content-Type": "application/json"}, b'{"token": "', b"t" * 65536)})
            run = pull(env={"HFSYNC_SOURCES": f"oci://{token.host}/models"})
            token.close()
            cases.append(Case("endless registry token (pull)", run, peer, "sent more than 1 MiB"))
        finally:
            registry.close()
        bombs = (("LZ4 bomb 30 MiB in 128 KiB x3", 30 * MIB), ("LZ4 bomb 1 GiB in 4 MiB x3", 1024 * MIB))
        for label, unpacked in bombs:
            body = base64.b64encode(bomb_chunk(unpacked)).decode()
            self.hub.add_faults([{"method": "GET", "path": "/sandbox-xet/xorb/", "action": "replace", "body": body,
                                  "times": 3}])
            run = pull()
            self.hub.clear_faults()
            if run.code == 0 and (manifest.parent / "vendor/model.safetensors").read_bytes() != weights:
                run.code = -1  # not the pinned bytes
            cases.append(Case(f"{label} (pull)", run, peer, "a xorb chunk"))
        return cases

    # -- plans and locks ------------------------------------------------------------------

    def cards(self) -> list[Case]:
        small = b"---\nlicense: mit\n---\n# Card\n"
        self.seed("sandbox/card-small", {"README.md": small, "config.json": b"{}\n"})
        self.seed("sandbox/card-big", {"README.md": small + b"words " * (50_000_000 // 6), "config.json": b"{}\n"})
        front = b"---\nlicense: mit\n" + b"".join(b"k%d: value number %d\n" % (i, i) for i in range(34_000)) + b"---\n"
        self.seed("sandbox/card-front", {"README.md": front + b"# Card\n", "config.json": b"{}\n"})

        def plan(repo: str) -> Run:
            manifest = self.project(f"plan-{repo.split('/')[1]}", (
                f"version: 1\nrepos:\n  - id: {repo}\n    source: {{path: src}}\n"
                "    card: {generate: false, metadata: {license: apache-2.0}}\n"))
            (manifest.parent / "src").mkdir()
            (manifest.parent / "src/config.json").write_text("{}\n")
            return self.hfsync("plan", "-f", str(manifest))

        peer = plan("sandbox/card-small")
        return [Case("50 MB README, no local README (plan)", plan("sandbox/card-big"), peer,
                     "more than the 1.0 MB hfsync reads of a card", code=1),
                Case("1 MB front matter README (plan)", plan("sandbox/card-front"), peer, "")]

    def listings(self) -> list[Case]:
        from tests.hostile import EndlessServer

        manifest = self.project("lock-hostile", "version: 1\npulls:\n  - id: sandbox/pulled\n    dest: vendor\n")
        peer = self.hfsync("lock", "-f", str(manifest))
        (manifest.parent / "hfsync.lock").unlink()
        server = EndlessServer({"/api/": (200, {"Content-Type": "application/json"}, b'{"siblings": [',
                                          b'{"rfilename": "x"}, ' * 4096)}, cap=4096 * MIB)
        try:
            run = self.hfsync("lock", "-f", str(manifest), endpoint=server.url)
        finally:
            server.close()
        return [Case("endless Hub repo info (lock)", run, peer, "sent more than 64 MiB", code=1)]

    # -- secret scan of uploads -----------------------------------------------------------

    def lines(self) -> list[Case]:
        secret = "h" + "f_" + "LongLineT0ken" * 4

        def plan(name: str, size: int, planted: str = "", filler: str = "x" * MIB) -> Run:
            manifest = self.project(f"line-{name}", (
                f"version: 1\nrepos:\n  - id: sandbox/line-{name}\n    source: {{path: src}}\n"
                "    card: {generate: false}\n"))
            (manifest.parent / "src").mkdir()
            with open(manifest.parent / "src/data.txt", "w") as handle:  # one line, no break
                if planted:
                    handle.write("x" * (40 * MIB) + " " + planted + " ")
                while handle.tell() < size:
                    handle.write(filler[:size - handle.tell()])
            return self.hfsync("plan", "-f", str(manifest))

        peer = plan("small", 1000)
        bound = 150 * MIB
        return [Case("50 MB single-line text file (plan)", plan("clean", 50_000_000), peer, "", rss_bound=bound),
                Case("50 MB single line, token 40 MB in (plan)", plan("token", 50_000_000, secret), peer,
                     "possible secret in data.txt:1: Hugging Face Token", code=1, rss_bound=bound, never=secret),
                Case("50 MB line of //a, npm key every MiB (plan)",
                     plan("npm", 50_000_000, filler=("x/:_authToken=" + "//a" * MIB)[:MIB]), peer, "",
                     rss_bound=bound)]


def main() -> int:
    os.environ.pop("HF_HUB_DISABLE_XET", None)  # the sandbox stores the seeded files in Xet, as the Hub does
    work = Path(tempfile.mkdtemp(prefix="hfsync-hostile-"))
    bench = Bench(work)
    try:
        groups = {"pulls": bench.pulls, "cards": bench.cards, "listings": bench.listings, "lines": bench.lines}
        cases = [case for name in sys.argv[1:] or groups for case in groups[name]()]
    finally:
        bench.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'case':44} {'exit':>4} {'peak RSS':>9} {'bound':>7} {'x peer':>7} {'time':>7} {'x peer':>7} "
          f"{'CPU':>6}  verdict")
    failed = 0
    for case in cases:
        verdict = case.verdict()
        failed += verdict != "ok"
        bound = (case.rss_bound or RSS_BOUND) // MIB
        print(f"{case.name:44} {case.run.code:>4} {case.run.rss / MIB:>6.0f} MB {bound:>4} MB "
              f"{case.run.rss / case.peer.rss:>6.2f}x {case.run.seconds:>6.2f}s "
              f"{case.run.seconds / case.peer.seconds:>6.2f}x {case.run.cpu:>5.1f}s  {verdict}")
        if verdict != "ok":
            print("    output: " + " | ".join(case.run.output.strip().splitlines()[-3:])[:400])
    print(f"bounds: a child's peak RSS <= {RSS_BOUND // MIB} MB, wall time <= {TIME_BOUND:.0f} s (CPU: the child's "
          "own); peers: the same command against an honest server; the sandbox runs in this process")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
