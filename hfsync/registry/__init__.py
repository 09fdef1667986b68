"""The OCI registry client: another store of pinned files, not the Hub.

It shares the Hub client's transport mechanics (hfsync.hub.retry, hfsync.hub.trace)
and nothing else of it. This ``__init__`` imports nothing (see hfsync.hub's).
"""
