"""apply_target's order of operations, with an in-memory fake of the hub adapter."""

from __future__ import annotations

from types import SimpleNamespace

from hfsync.errors import HubError
from hfsync.model.plan import Action, FileChange, Provenance, RefChange, SettingChange, TargetChange
from hfsync.publish.apply import apply_target
from tests.publish.fakes import H1, sha


class FakePublisher:
    """Records the calls apply makes; ``fail`` names the one that raises."""

    hub = SimpleNamespace(endpoint="https://hub.example")  # where a commit's URL points

    def __init__(self, fail: str | None = None) -> None:
        from types import SimpleNamespace

        self.calls: list[tuple] = []
        self.fail = fail
        self.hub = SimpleNamespace(endpoint="https://hub.example")  # commit pages are named after it
        self.commits = self  # its commits are recorded with the other calls
        self.sent: dict[str, int] = {}

    def _call(self, *call: object) -> None:
        self.calls.append(call)
        if call[0] == self.fail:
            raise HubError(f"{call[0]} refused")

    def create_repo(self, repo_id, repo_type, private, sdk):  # type: ignore[no-untyped-def]
        self._call("create_repo", private, sdk)

    def update_settings(self, repo_id, repo_type, **settings):  # type: ignore[no-untyped-def]
        self._call("update_settings", *sorted(settings.items()))

    def space_hardware(self, repo_id, hardware):  # type: ignore[no-untyped-def]
        self._call("space_hardware", hardware)

    def space_value(self, repo_id, kind, key, value):  # type: ignore[no-untyped-def]
        self._call(f"space_{kind}", key, value)

    def create_branch(self, repo_id, repo_type, branch, start):  # type: ignore[no-untyped-def]
        self._call("create_branch", branch, start)

    def create_tag(self, repo_id, repo_type, tag, revision):  # type: ignore[no-untyped-def]
        self._call("create_tag", tag, revision)

    def commit(self, repo_id, repo_type, branch, uploads, deletes, **kwargs):  # type: ignore[no-untyped-def]
        self._call("commit", [u.path for u in uploads], list(deletes), kwargs["parent"])
        return "c" * 40

    def head(self, repo_id, repo_type, revision):  # type: ignore[no-untyped-def]
        return True, "c" * 40  # after the commit, the branch holds it


def change(**kwargs) -> TargetChange:  # type: ignore[no-untyped-def]
    base = dict(key="acme/m", repo_id="acme/m", repo_type="model", revision="main", action=Action.UPDATE, head=H1,
                source="src", files=(FileChange("a.json", Action.UPDATE, 3, False, sha("a"), "a" * 40, sha("a")),))
    base.update(kwargs)
    return TargetChange(**base)  # type: ignore[arg-type]


def test_access_narrows_before_the_commit_and_widens_after():
    fake = FakePublisher()
    target = change(settings=(SettingChange("private", False, True), SettingChange("gated", "auto", False)),
                    refs=(RefChange("tag", "v1"),))
    result = apply_target(target, fake, Provenance())  # type: ignore[arg-type]
    assert [c[0] for c in fake.calls] == ["update_settings", "commit", "create_tag", "update_settings"]
    assert fake.calls[1][1:] == (["a.json"], [], H1)  # parent_commit: the head planned against
    assert fake.calls[0][1:] == (("private", True),)
    assert fake.calls[-1][1:] == (("gated", False),)
    assert fake.calls[2][1:] == ("v1", "c" * 40)
    assert result.commit == "c" * 40 and result.error is None


def test_a_failure_stops_the_target_and_is_reported():
    fake = FakePublisher(fail="commit")
    result = apply_target(change(refs=(RefChange("tag", "v1"),)), fake, Provenance())  # type: ignore[arg-type]
    assert result.error == "commit refused"
    assert [c[0] for c in fake.calls] == ["commit"]  # no tag on a commit that did not happen


def test_unsupported_space_settings_become_warnings():
    fake = FakePublisher(fail="space_hardware")
    target = change(repo_type="space", files=(), settings=(SettingChange("hardware", None, "t4-small"),))
    result = apply_target(target, fake, Provenance())  # type: ignore[arg-type]
    assert result.error is None
    assert result.warnings == ("hardware not applied: space_hardware refused",)
