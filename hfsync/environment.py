"""Every environment variable hfsync itself reads, read when asked (never at import).

huggingface_hub reads its own (HF_TOKEN, HF_ENDPOINT, HF_HOME, ...); of those, hfsync
reads only HF_HUB_OFFLINE and HF_HUB_DISABLE_PROGRESS_BARS, here, so that every command
agrees on what they mean, and HF_TOKEN as huggingface_hub reads it (hub_token).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from hfsync.errors import HfsyncError

DEFAULT_METADATA_TTL = 15 * 60.0
DEFAULT_SLOW_SECONDS = 5.0
_TRUE = ("1", "true", "yes", "on", "y", "t")


def offline(flag: bool = False) -> bool:
    """Whether this run must make no request: ``--offline`` or HF_HUB_OFFLINE set to a true value."""
    return flag or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hub_token() -> str | None:
    """The token huggingface_hub's ``get_token`` finds first when it is in the environment:
    HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, stripped of whitespace and line breaks. None when
    neither is set or HF_OIDC_RESOURCE asks for an OIDC exchange first: the caller then asks
    huggingface_hub (the `hf auth login` store, OIDC, Colab), whose auth module costs start-up
    time a command with HF_TOKEN set need not spend."""
    if os.environ.get("HF_OIDC_RESOURCE"):
        return None
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or ""
    return token.replace("\r", "").replace("\n", "").strip() or None


def no_color() -> bool:
    """NO_COLOR (https://no-color.org): set to any non-empty value, it turns colour off."""
    return bool(os.environ.get("NO_COLOR"))


def progress_bars_disabled() -> bool:
    """HF_HUB_DISABLE_PROGRESS_BARS set to a true value, as huggingface_hub reads it."""
    return os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "").strip().lower() in _TRUE


def cache_dir() -> Path:
    """The user cache directory: HFSYNC_CACHE_DIR, else $XDG_CACHE_HOME/hfsync, else ~/.cache/hfsync."""
    explicit = os.environ.get("HFSYNC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hfsync"


def metadata_ttl() -> float:
    """How long cached Hub answers for a branch stay fresh: HFSYNC_METADATA_TTL seconds, else 15 minutes."""
    raw = os.environ.get("HFSYNC_METADATA_TTL")
    if not raw:
        return DEFAULT_METADATA_TTL
    try:
        value = float(raw)
    except ValueError:
        raise HfsyncError(
            f"HFSYNC_METADATA_TTL={raw!r} is not a number of seconds.",
            hint="Set it to e.g. 900 (15 minutes), or 0 to always refetch branch answers.",
        ) from None
    if value < 0:
        raise HfsyncError(f"HFSYNC_METADATA_TTL={raw!r} must not be negative.")
    return value


def slow_seconds() -> float:
    """Seconds after which a Hub request counts as slow: HFSYNC_SLOW_SECONDS, else 5."""
    raw = os.environ.get("HFSYNC_SLOW_SECONDS")
    try:
        return float(raw) if raw else DEFAULT_SLOW_SECONDS
    except ValueError:
        return DEFAULT_SLOW_SECONDS


def sources() -> tuple[str, ...] | None:
    """HFSYNC_SOURCES: mirrors and registries to pull from before the Hub, separated by commas or
    spaces, in order; None when unset (the manifests' ``sources:`` apply), () when set empty."""
    raw = os.environ.get("HFSYNC_SOURCES")
    if raw is None:
        return None
    return tuple(part for part in raw.replace(",", " ").split() if part)


def registry_auth_files() -> list[Path]:
    """Where registry credentials are looked up, first first: REGISTRY_AUTH_FILE (as podman and
    skopeo read it), then $DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    files = []
    if os.environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(os.environ["REGISTRY_AUTH_FILE"]))
    docker = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    files.append(Path(docker) / "config.json")
    return files


def run_url(environ: Mapping[str, str]) -> str | None:
    """The GitHub Actions run URL, when GITHUB_SERVER_URL/REPOSITORY/RUN_ID are set."""
    server = environ.get("GITHUB_SERVER_URL")
    repository = environ.get("GITHUB_REPOSITORY")
    run_id = environ.get("GITHUB_RUN_ID")
    if not (server and repository and run_id):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"
