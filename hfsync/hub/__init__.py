"""The one adapter to the Hub: huggingface_hub, plus what it lacks.

Every request hfsync makes goes through this package; engines never import
huggingface_hub's network functions themselves. ``client`` holds the connection;
sibling modules hold the operations of one concern each. This ``__init__`` imports
nothing: its modules import their siblings through the package, so a re-export here
would put the package in a cycle with each of them.
"""
