"""The slow-Hub watch on a fake clock: one warning per run, past the threshold only."""

from __future__ import annotations

import logging

from hfsync.hub.slow import SlowWatch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_warns_once_past_the_threshold_with_the_offline_hint(caplog):
    clock = Clock()
    watch = SlowWatch(threshold=5.0, clock=clock)
    caplog.set_level(logging.WARNING, "hfsync.hub")
    with watch.timing("reading model acme/m"):
        clock.now += 5.0  # exactly the threshold: not slow
    assert caplog.messages == []
    with watch.timing("reading model acme/m", offline_hint="from data 3 min old"):
        clock.now += 7.25
    with watch.timing("reading model acme/n"):
        clock.now += 60
    assert caplog.messages == [
        "The Hub is slow: reading model acme/m took 7.2 s. "
        "The metadata cache can answer from data 3 min old: rerun with --offline to use it."
    ]


def test_the_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HFSYNC_SLOW_SECONDS", "2.5")
    assert SlowWatch().threshold == 2.5
    monkeypatch.setenv("HFSYNC_SLOW_SECONDS", "soon")
    assert SlowWatch().threshold == 5.0
