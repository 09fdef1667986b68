"""Rich tables as text, for the views that show rows (search, cache)."""

from __future__ import annotations

import io

from rich.table import Table

# Off a terminal, no wrapping: ids and columns stay whole for grep and copy.
UNWRAPPED = 250


def table_text(table: Table, width: int | None) -> str:
    """``table`` as a terminal of ``width`` columns shows it; None: not a terminal (no styles, no wrapping)."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width or UNWRAPPED, force_terminal=width is not None).print(table)
    return buffer.getvalue()
