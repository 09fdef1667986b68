"""What changed inside a file: pure functions over bytes and headers, returning plain data.

One module per kind of content: text (unified diff), json (by key path), card (front
matter by key, body as text), safetensors and gguf (from their headers), tabular (CSV
and JSON Lines columns and rows). Nothing here reads the disk or the Hub: callers pass
the bytes (the planner reads them within its budget; the upgrade summary too). Results
are ``hfsync.model.inspect`` data, which a plan carries and renderers show.
"""
