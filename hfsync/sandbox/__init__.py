"""The sandbox Hub: a local, file-backed server speaking the Hub's HTTP protocol.

It imports nothing else from hfsync. ``server.SandboxServer`` is the server; ``routes``
names the routes used by the counters and ``admin`` the /_sandbox/ admin API. This
package module imports nothing, so its modules may import each other through it.
"""
