"""The shared client's retries, with a fake clock: RateLimit and Retry-After honoured,
unsafe methods retried only when the server surely did not act, waits announced."""

from __future__ import annotations

import httpx2
import pytest

from hfsync.hub import retry as shared
from hfsync.hub import session
from hfsync.hub.retry import Retry, RetryPolicy
from tests.pull.conftest import FakeTime


@pytest.fixture
def fake(monkeypatch):
    time = FakeTime()
    waits = []
    monkeypatch.setattr(session, "retry", Retry(RetryPolicy(attempts=4, max_wait=100), sleep=time.sleep,
                                                clock=time.clock, on_wait=waits.append, jitter=lambda high: high))
    return time, waits


def _client(answers: list[httpx2.Response], seen: list[str]) -> httpx2.Client:
    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.method)
        return answers.pop(0)

    return session.HubClient(transport=httpx2.MockTransport(handle))


def test_ratelimit_reset_is_waited_for(fake):
    time, waits = fake
    seen: list[str] = []
    limited = httpx2.Response(429, headers={"RateLimit": '"api";r=0;t=3', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
    client = _client([limited, httpx2.Response(200, json={"ok": True})], seen)
    assert client.get("http://hub.test/api/models/a/b").json() == {"ok": True}
    assert seen == ["GET", "GET"] and sum(time.sleeps) == 3
    assert str(waits[0]) == "repo-info (GET /api/models/a/b): HTTP 429; retrying in 3s (attempt 2 of 4)"


def test_retry_after_on_a_post_and_no_retry_of_a_500_post(fake):
    time, _ = fake
    seen: list[str] = []
    client = _client([httpx2.Response(503, headers={"Retry-After": "2"}), httpx2.Response(200)], seen)
    assert client.post("http://hub.test/api/models/a/b/commit/main", content=b"{}").status_code == 200
    assert seen == ["POST", "POST"] and time.sleeps == [1.0, 1.0]
    seen.clear()
    client = _client([httpx2.Response(500), httpx2.Response(200)], seen)
    assert client.post("http://hub.test/api/models/a/b/commit/main", content=b"{}").status_code == 500
    assert seen == ["POST"]


def test_gives_up_with_the_operation_named(fake):
    seen: list[str] = []
    client = _client([httpx2.Response(502)] * 4, seen)
    with pytest.raises(Exception) as caught:
        client.get("http://hub.test/api/datasets/a/b/tree/main")
    from hfsync.errors import Unavailable

    assert type(caught.value) is Unavailable  # a HubError that may pass: a pull says to run again
    assert str(caught.value) == ("tree (GET /api/datasets/a/b/tree/main): gave up after 4 attempts; "
                                 "last failure: HTTP 502")
    assert len(seen) == 4


def test_a_streamed_body_is_left_to_huggingface_hub(fake):
    seen: list[str] = []
    client = _client([httpx2.Response(429, headers={"Retry-After": "0"})], seen)
    response = client.put("http://hub.test/upload", content=iter([b"part"]))
    assert response.status_code == 429 and seen == ["PUT"]


def test_waits_go_to_the_commands_announcer(monkeypatch):
    shown = []
    monkeypatch.setattr(session, "retry", Retry(RetryPolicy(attempts=2), sleep=lambda s: None,
                                                on_wait=lambda w: shared._announce(w)))
    with session.waits_shown_by(shown.append):
        client = _client([httpx2.Response(429, headers={"Retry-After": "0"}), httpx2.Response(200)], [])
        assert client.get("http://hub.test/api/whoami-v2").status_code == 200
    assert [w.reason for w in shown] == ["HTTP 429"]
    assert shared._announce is shared.log_wait
