"""Options more than one command takes."""

from __future__ import annotations

from pathlib import Path

import click

metrics_option = click.option(
    "--metrics-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write Prometheus text-format metrics here, atomically, even when the run fails "
    "(for node_exporter's textfile collector: name it *.prom).",
)

report_format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: one JSON document on stdout (its JSON Schema: `hfsync schema COMMAND.report`).",
)
