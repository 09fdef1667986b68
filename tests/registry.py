"""The CNCF distribution registry (Debian's docker-registry) as a child process, for the OCI
tests and bench/bench_fleet.py: loopback only, basic auth, stopped by its PID."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

BINARY = "/usr/bin/docker-registry"
USER, PASSWORD = "fleet", "registry-pw-3f9a1c"


def _htpasswd_line(user: str, password: str) -> str | None:
    """A bcrypt htpasswd line (the only hash the registry accepts): Python's bcrypt if it is
    installed, else apache2-utils' htpasswd; None when neither is."""
    try:
        import bcrypt
    except ImportError:
        bcrypt = None
    if bcrypt is not None:
        return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}"
    tool = shutil.which("htpasswd")
    if tool is None:
        return None
    return subprocess.run([tool, "-nbB", "-C", "5", user, password], capture_output=True, text=True,
                          check=True).stdout.strip()


def missing() -> str | None:
    """Why the registry cannot run here (None when it can)."""
    if not os.access(BINARY, os.X_OK):
        return (f"{BINARY} not found: `apt-get install docker-registry` (the CNCF distribution registry) "
                "to run the OCI registry tests")
    if not shutil.which("htpasswd"):
        try:
            import bcrypt  # noqa: F401
        except ImportError:
            return "no bcrypt to write the registry's htpasswd: install apache2-utils or python bcrypt"
    return None


class Registry:
    """A running registry: ``.host`` (127.0.0.1:PORT), ``.url`` (oci://HOST/models), ``.user``,
    ``.password``, ``.auth_file`` (docker config format), ``.requests()`` (its access log), ``.pid``."""

    def __init__(self, host: str, log: Path, auth_file: Path, pid: int) -> None:
        self.host = host
        self.url = f"oci://{host}/models"
        self.log = log
        self.auth_file = auth_file
        self.pid = pid
        self.user, self.password = USER, PASSWORD

    def requests(self) -> list[str]:
        """Access-log lines as 'METHOD /path HTTP/1.1" status bytes'."""
        return re.findall(r'"((?:GET|HEAD|POST|PATCH|PUT|DELETE) \S+ HTTP/1.1" \d+ \d+)', self.log.read_text())

    def bytes_served(self, what: str = "/blobs/sha256:") -> int:
        """Body bytes of successful GETs whose path contains ``what`` (blobs by default)."""
        return sum(int(line.rsplit(" ", 1)[1]) for line in self.requests()
                   if line.startswith("GET ") and what in line and '" 20' in line)


def _serve(folder: Path) -> tuple[subprocess.Popen, str]:
    """The registry started on a free port and answering; another port if a process took
    the one found free before the registry could bind it."""
    log = folder / "registry.log"
    for _ in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            host = f"127.0.0.1:{probe.getsockname()[1]}"
        (folder / "config.yml").write_text(yaml.safe_dump({
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(folder / "data")}, "delete": {"enabled": True}},
            "http": {"addr": host},
            "auth": {"htpasswd": {"realm": "hfsync-test", "path": str(folder / "htpasswd")}},
        }))
        with open(log, "wb") as sink:
            process = subprocess.Popen([BINARY, "serve", str(folder / "config.yml")], stdout=sink,
                                       stderr=subprocess.STDOUT)
        if _answers(process, host):
            return process, host
        if "address already in use" not in log.read_text():
            break
    raise RuntimeError(f"the registry did not start: {log.read_text()[-2000:]}")


def _answers(process: subprocess.Popen, host: str) -> bool:
    """Whether the registry answers at ``host`` (asking for credentials), before it exits or 20 s pass."""
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
        process.wait()
    return False


@contextlib.contextmanager
def running_registry(folder: Path) -> Iterator[Registry]:
    """Start the registry with its data and config in ``folder``; stop it (by PID) on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    line = _htpasswd_line(USER, PASSWORD)
    assert line is not None, missing()
    (folder / "htpasswd").write_text(line + "\n")
    process, host = _serve(folder)
    try:
        auth_file = folder / "auth.json"
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        auth_file.write_text(json.dumps({"auths": {host: {"auth": token}}}))
        yield Registry(host, folder / "registry.log", auth_file, process.pid)
    finally:
        os.kill(process.pid, signal.SIGTERM) if process.poll() is None else None
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
