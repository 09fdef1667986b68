"""An upstream repo that attacks its reviewers: commit titles and an author name holding
terminal escapes (ESC, OSC 8 links, CSI), bidi overrides, HTML, mentions, ``javascript:``
links and ``<!--``, and token-like strings in its card metadata and safetensors
``__metadata__``. ``hfsync upgrade`` and ``hfsync github pr`` show all of it inertly: no ESC
byte in any output, no mention GitHub would notify, no tag, link or comment GitHub would
render, and never the token."""

from __future__ import annotations

import html
import json
import re
import struct

import git
import pytest
import yaml

from tests.github.conftest import GITHUB_TOKEN, REPO
from tests.helpers import hfsync
from tests.pull.conftest import safetensors_bytes

PULLS = f"/repos/{REPO}/pulls"

# The Hub lets a user name hold anything: an OSC 8 link, a CSI erase, a mention.
AUTHOR = "\x1b]8;;https://evil.example\x07@alice\x1b]8;;\x07\x1b[2K"
TITLE = ("Fix \x1b[31mred\x1b[0m @alice @acme/admins #12 <img src=x onerror=alert(1)> "
         "[click](javascript:alert(1)) \u202egnp.exe <!-- hidden | `code` *bold* $x$")
# A Hugging Face token as a careless model card or safetensors header carries one.
TOKEN = "h" + "f_" + "Zq8Wm3Xr7Tn2Vb6Yc1Lp4Kd9Hs5Jf0GuAeR"

TERMINAL_TITLE = ("Fix \\x1b[31mred\\x1b[0m @alice @acme/admins #12 <img src=x onerror=alert(1)> "
                  "[click](javascript:alert(1)) \\u202egnp.exe <!-- hidden | `code` *bold* $x$")
TERMINAL_AUTHOR = "\\x1b]8;;https://evil.example\\x07@alice\\x1b]8;;\\x07\\x1b[2K"
Z = "\u200d"
MARKDOWN_TITLE = (f"Fix &#92;x1b&#91;31mred&#92;x1b&#91;0m @{Z}alice @{Z}acme/admins #{Z}12 "
                  "&lt;img src=x onerror=alert(1)&gt; &#91;click&#93;(javascript&#58;alert(1)) &#92;u202egnp.exe "
                  "&lt;!-- hidden &#124; &#96;code&#96; &#42;bold&#42; &#36;x&#36;")
WITHHELD_DIFF = "withheld: the diff holds a possible secret (Hugging Face Token); no line of it is shown"
MARKDOWN_AUTHOR = "&#92;x1b&#93;8;;https://evil.example&#92;x07@alice&#92;x1b&#93;8;;&#92;x07&#92;x1b&#91;2K"


def safetensors_with_metadata(metadata: dict[str, str]) -> bytes:
    """A one-tensor safetensors file whose header carries ``__metadata__``."""
    plain = safetensors_bytes({"w": ("F32", [2, 2])})
    length = struct.unpack("<Q", plain[:8])[0]
    header = json.loads(plain[8:8 + length])
    raw = json.dumps({"__metadata__": metadata, **header}).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + plain[8 + length:]


@pytest.fixture
def sandbox(tmp_path):
    """The sandbox Hub with a user whose name is an attack, member of `acme`."""
    from hfsync.sandbox.server import SandboxServer
    from hfsync.sandbox.testing import SandboxHandle

    server = SandboxServer(tmp_path / "hub", users={AUTHOR: "hf_hostile_token"},
                           orgs={"acme": ["sandbox", AUTHOR]}).start()
    try:
        yield SandboxHandle(server.url, server.token, server.data_dir, server)
    finally:
        server.stop()


@pytest.fixture
def world(sandbox, tmp_path, github, monkeypatch):
    """A checkout with a manifest pulling acme/m1, locked; then upstream moves, hostile."""
    from huggingface_hub import HfApi

    def commit(token: str, files: dict[str, bytes], message: str, repo: str = "acme/m1") -> str:
        folder = tmp_path / f"up-{message[:3]}-{len(list(tmp_path.iterdir()))}"
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        api = HfApi(endpoint=sandbox.url, token=token)
        return api.upload_folder(folder_path=folder, repo_id=repo, commit_message=message).oid

    for repo in ("acme/m1", "acme/m2"):
        HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo(repo)
        commit(sandbox.token, {
            "README.md": b"---\nlicense: mit\n---\n# m1\n",
            "model.safetensors": safetensors_with_metadata({"format": "pt"}),
        }, "First", repo)
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    checkout = git.Repo.init(tmp_path / "checkout", initial_branch="main")
    with checkout.config_writer() as config:
        config.set_value("user", "name", "Dev").set_value("user", "email", "dev@example.com")
    manifest = tmp_path / "checkout" / "hfsync.yaml"
    manifest.write_text(yaml.safe_dump({"version": 1, "pulls": [{"id": "acme/m1", "dest": "vendor/m1"},
                                                                {"id": "acme/m2", "dest": "vendor/m2"}]}))
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    assert hfsync("--endpoint", sandbox.url, "lock", "-f", str(manifest)).exit_code == 0
    checkout.index.add(["hfsync.yaml", "hfsync.lock"])
    checkout.index.commit("Manifests")
    checkout.create_remote("origin", str(remote.git_dir)).push("main")
    card = yaml.safe_dump({"license": "mit", "tags": ["@carol", "<script>x</script>", "\x1b[2J"]})
    commit(sandbox.token_for(AUTHOR), {
        "README.md": f"---\n{card}---\n# m1\n\nNow with @dave and <!-- more -->.\n".encode(),
        "model.safetensors": safetensors_with_metadata({"format": "pt", "hub_token": TOKEN, "note": "@erin"}),
        "config.json": json.dumps({"token": TOKEN}).encode(),
    }, TITLE)
    commit(sandbox.token_for(AUTHOR), {f"keys/{TOKEN}.txt": b"rotated\n"}, f"Rotate {TOKEN}")
    card = yaml.safe_dump({"license": "mit", "api_token": TOKEN})
    commit(sandbox.token, {"README.md": f"---\n{card}---\n# m2\n".encode()}, "Card", "acme/m2")
    return manifest


def no_escape(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text


def no_mention(markdown: str) -> None:
    """No ``@name`` GitHub would turn into a mention, nor ``#N`` into an issue reference,
    outside code (where GitHub renders none)."""
    outside = re.sub(r"```.*?```|`[^`\n]*`", "", markdown, flags=re.S)
    shown = html.unescape(outside)  # what GitHub's mention filter reads: the text, references decoded
    assert not re.findall(r"(?<![0-9A-Za-z_])[@#][0-9A-Za-z]", shown)


def inert(markdown: str) -> None:
    """Nothing GitHub would render as a tag, comment or link, outside the diffs' code blocks."""
    outside = re.sub(r"```.*?```", "", markdown, flags=re.S)
    tags = set(re.findall(r"<(/?[A-Za-z!][^ >]*)", outside))
    assert tags <= {"details", "/details", "summary", "/summary", "b", "/b", "code", "/code"}
    assert "javascript:" not in outside and "](" not in outside


def test_upgrade_shows_hostile_upstream_text_inertly_in_the_terminal(world, sandbox):
    result = hfsync("--endpoint", sandbox.url, "upgrade", "-f", str(world))
    assert result.exit_code == 0, result.output
    no_escape(result.output)
    assert f"{TERMINAL_AUTHOR}: {TERMINAL_TITLE}\n" in result.stdout
    assert f"{TERMINAL_AUTHOR}: (withheld: a possible secret (Hugging Face Token))\n" in result.stdout
    assert "  + (withheld: a possible secret (Hugging Face Token)) (8 B)\n" in result.stdout
    assert '      + card.tags = ["@carol", "<script>x</script>", "\\u001b[2J"]\n' in result.stdout
    assert result.stdout.count(WITHHELD_DIFF) == 3  # config.json, the safetensors metadata, acme/m2's card
    assert TOKEN not in result.output
    project = world.parent
    project.joinpath("hfsync.lock").write_bytes(git.Repo(project).git.show("HEAD:hfsync.lock").encode() + b"\n")
    as_json = hfsync("--endpoint", sandbox.url, "upgrade", "-f", str(world), "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    no_escape(as_json.output)
    assert TOKEN not in as_json.output and "(withheld: a possible secret (Hugging Face Token))" in as_json.stdout


def test_the_upgrade_pull_request_body_is_inert_markdown(world, sandbox, github):
    github.server.expect_ordered_request(PULLS, method="GET").respond_with_json([])
    github.server.expect_ordered_request(PULLS, method="POST").respond_with_json(
        {"number": 5, "html_url": f"https://github.example/{REPO}/pull/5"}, status=201)
    result = hfsync("--endpoint", sandbox.url, "github", "pr", "-f", str(world), "--base", "main")
    assert result.exit_code == 0, result.output
    (sent,) = github.sent_json("POST")
    body, summary = sent["body"], github.summary.read_text()
    for text in (body, summary):
        assert f"{MARKDOWN_TITLE} — {MARKDOWN_AUTHOR}, " in text
        assert f" (withheld: a possible secret (Hugging Face Token)) — {MARKDOWN_AUTHOR}, " in text
        assert "| + | <code>(withheld: a possible secret (Hugging Face Token))</code> |  | 8 B |" in text
        assert text.count(WITHHELD_DIFF) == 3
        no_escape(text)
        no_mention(text)
        inert(text)
        assert TOKEN not in text
    no_escape(result.output)
    assert TOKEN not in result.output and GITHUB_TOKEN not in result.output
    pushed = git.Repo(world.parent / ".." / "remote.git").commit("hfsync/upgrade/hfsync.yaml")
    assert TOKEN not in pushed.message
