"""Signed models (OpenSSF Model Signing v1.0): the ``model.sig`` a target carries.

A ``model.sig`` is a Sigstore bundle whose DSSE envelope carries an in-toto statement
listing every file of the model with its sha256. ``statement`` builds and reads that
statement (pure JSON), ``keys`` loads the key material a manifest names, ``bundle``
signs a statement and checks a bundle against trusted keys or roots.

hfsync writes these few parts itself with ``cryptography`` rather than calling the
reference library (``model-signing``): its API hashes a folder on disk, where apply has
the digests already (a second read of a 4 GB model) and lock has no files at all, only
the Hub's listing; and it brings sigstore, pydantic and protobuf into every command's
start-up. Tests hold the two to each other both ways.
"""
