"""The retry mechanism: which failures retry, how long it waits, when it gives up, what it says."""

from __future__ import annotations

import email.utils

import httpx2
import pytest

from hfsync.errors import HubError
from hfsync.hub.retry import Retry, RetryPolicy, TransientError, Wait, classify, server_wait
from tests.pull.conftest import FakeTime


def failing(errors, result="ok"):
    calls = []

    def fn(attempt):
        calls.append(attempt)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def response(status, headers=None):
    return httpx2.Response(status, headers=headers or {}, request=httpx2.Request("GET", "http://h/x"))


def http_error(status, headers=None):
    return httpx2.HTTPStatusError("boom", request=httpx2.Request("GET", "http://h/x"), response=response(status, headers))


def make(policy=None, **kwargs):
    fake = FakeTime()
    waits: list[Wait] = []
    retry = Retry(policy or RetryPolicy(), sleep=fake.sleep, clock=fake.clock, on_wait=waits.append, **kwargs)
    return retry, fake, waits


def test_full_jitter_backoff_grows_and_is_capped():
    highs = []
    retry, fake, _ = make(RetryPolicy(attempts=10, base=1, cap=8, max_wait=1000),
                          jitter=lambda high: highs.append(high) or high)
    fn, calls = failing([http_error(503) for _ in range(6)])
    assert retry.call("op", fn) == "ok"
    assert highs == [1, 2, 4, 8, 8, 8]
    assert calls == [0, 1, 2, 3, 4, 5, 6]
    assert sum(fake.sleeps) == pytest.approx(31)


def test_jitter_draws_between_zero_and_the_backoff():
    retry, fake, _ = make(RetryPolicy(attempts=3, base=4), jitter=lambda high: high * 0.25)
    fn, _ = failing([httpx2.ConnectError("refused")])
    retry.call("op", fn)
    assert fake.sleeps == [1.0]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_retry(status):
    assert classify(http_error(status))[0] is True


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 416])
def test_other_statuses_fail_at_once(status):
    retry, fake, _ = make()
    fn, calls = failing([http_error(status)])
    with pytest.raises(httpx2.HTTPStatusError):
        retry.call("op", fn)
    assert calls == [0] and fake.sleeps == []


@pytest.mark.parametrize(
    "error",
    [httpx2.ReadTimeout("slow"), httpx2.ConnectError("refused"), httpx2.RemoteProtocolError("closed"),
     ConnectionResetError("reset"), TransientError("connection closed after 5 of 10 bytes")],
)
def test_resets_and_timeouts_retry(error):
    retry, _, _ = make()
    fn, calls = failing([error])
    assert retry.call("op", fn) == "ok" and calls == [0, 1]


def test_retry_after_seconds_is_honoured_with_a_countdown():
    retry, fake, waits = make()
    fn, _ = failing([http_error(429, {"Retry-After": "3"})])
    retry.call("download acme/m1/w.safetensors", fn)
    assert fake.sleeps == [1, 1, 1]
    assert [w.remaining for w in waits] == [3, 2, 1]
    assert str(waits[0]) == "download acme/m1/w.safetensors: HTTP 429; retrying in 3s (attempt 2 of 8)"


def test_retry_after_http_date():
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert server_wait({"Retry-After": when}, now=1_000_000) == pytest.approx(30)
    assert server_wait({"Retry-After": email.utils.formatdate(10, usegmt=True)}, now=1_000_000) == 0
    assert server_wait({"Retry-After": "soon"}) is None


def test_hub_ratelimit_header_wins_when_exhausted():
    assert server_wait({"RateLimit": '"api";r=0;t=55', "Retry-After": "3"}) == 55
    assert server_wait({"RateLimit": '"api";r=10;t=55', "Retry-After": "3"}) == 3
    retry, fake, _ = make()
    fn, _ = failing([http_error(429, {"RateLimit": '"api";r=0;t=5'})])
    retry.call("op", fn)
    assert sum(fake.sleeps) == 5


def test_total_wait_is_bounded_and_the_failure_names_the_operation():
    retry, fake, _ = make(RetryPolicy(attempts=10, max_wait=100))
    fn, calls = failing([http_error(429, {"Retry-After": "60"}) for _ in range(5)])
    with pytest.raises(HubError) as caught:
        retry.call("download acme/m1/w.safetensors", fn)
    assert str(caught.value) == (
        "download acme/m1/w.safetensors: gave up after 2 attempts and 60s of waiting "
        "(the server asked to wait 60s more; the limit is 100s); last failure: HTTP 429"
    )
    assert sum(fake.sleeps) == 60 and calls == [0, 1]


def test_attempts_are_bounded():
    retry, _, _ = make(RetryPolicy(attempts=3))
    fn, calls = failing([httpx2.ConnectError("refused") for _ in range(5)])
    with pytest.raises(HubError, match=r"^list files: gave up after 3 attempts; last failure: ConnectError: refused$"):
        retry.call("list files", fn)
    assert calls == [0, 1, 2]


def test_the_default_announcer_logs_one_line_per_wait(monkeypatch):
    from hfsync.hub import retry as module

    lines = []
    monkeypatch.setattr(module.log, "warning", lambda fmt, wait, **_: lines.append(fmt % wait))
    for remaining in (3, 2, 1):
        module.log_wait(Wait("op", 1, 8, "HTTP 503", remaining, 3))
    assert lines == ["op: HTTP 503; retrying in 3s (attempt 2 of 8)"]


def test_a_refused_connection_gives_up_after_a_few_quick_attempts():
    retry, fake, _ = make(RetryPolicy(attempts=8))
    refused = httpx2.ConnectError("[Errno 111] Connection refused")
    fn, calls = failing([refused for _ in range(10)])
    with pytest.raises(HubError) as caught:
        retry.call("read repo acme/m1", fn)
    assert str(caught.value) == (
        "read repo acme/m1: gave up after 3 attempts; last failure: ConnectError: [Errno 111] Connection refused"
    )
    assert caught.value.hint == "Nothing answers at that address: check --endpoint or HF_ENDPOINT."
    assert calls == [0, 1, 2]
    assert sum(fake.sleeps) <= 1.0 + 2.0  # full jitter under the first two backoffs


def test_a_refused_connection_found_through_the_cause_chain():
    from hfsync.hub.retry import is_refused

    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError as inner:
            raise httpx2.ConnectError("connect failed") from inner
    except httpx2.ConnectError as outer:
        assert is_refused(outer)
    assert not is_refused(httpx2.ReadTimeout("slow"))


@pytest.mark.parametrize("error", [
    httpx2.ConnectError("[Errno -2] Name or service not known"),
    httpx2.ConnectError("[Errno -3] Temporary failure in name resolution"),  # no network at all
    httpx2.ConnectError("[Errno 8] nodename nor servname provided, or not known"),  # macOS
])
def test_a_name_that_does_not_resolve_fails_at_once_with_a_hint(error):
    retry, fake, waits = make(RetryPolicy(attempts=8))
    fn, calls = failing([error for _ in range(10)])
    with pytest.raises(HubError) as caught:
        retry.call("read repo acme/m1", fn)
    assert str(caught.value) == (
        f"read repo acme/m1: the endpoint's host name does not resolve; ConnectError: {error}")
    assert caught.value.hint == ("Check --endpoint or HF_ENDPOINT, and the network (DNS, a proxy): "
                                 "no request can succeed until the name resolves.")
    assert calls == [0] and fake.sleeps == [] and waits == []


def test_a_gaierror_found_through_the_cause_chain_is_not_transient():
    import socket

    try:
        try:
            raise socket.gaierror(-2, "unknown")
        except socket.gaierror as inner:
            raise httpx2.ConnectError("connect failed") from inner
    except httpx2.ConnectError as outer:
        assert classify(outer)[0] is False


def test_an_unresolved_name_already_reported_by_an_inner_retry_is_not_wrapped_twice():
    retry, _, _ = make()
    inner = HubError("read repo acme/m1: the endpoint's host name does not resolve; ConnectError: x")
    inner.__cause__ = httpx2.ConnectError("[Errno -2] Name or service not known")
    fn, calls = failing([inner])
    with pytest.raises(HubError) as caught:
        retry.call("resolve acme/m1", fn)
    assert caught.value is inner and calls == [0]
