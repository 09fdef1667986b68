"""The one adapter to the Hub: huggingface_hub, plus what it lacks.

Every request hfsync makes goes through this package; engines never import
huggingface_hub's network functions themselves. ``client`` holds the connection;
sibling modules hold the operations of one concern each.
"""

from hfsync.hub.client import PUBLIC_ENDPOINT, Credentials, Hub, translate_errors

__all__ = ["PUBLIC_ENDPOINT", "Credentials", "Hub", "translate_errors"]
