"""The sandbox Hub: a local, file-backed server speaking the Hub's HTTP protocol.

The bottom layer of hfsync: it imports nothing else from hfsync. See ``server`` for
the route names used by the counters and ``admin`` for the /_sandbox/ admin API.
"""

from hfsync.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
