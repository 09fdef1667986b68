"""Rewrite the manifest reference in README.md from schemas/hfsync.schema.json: `python scripts/reference.py`."""

from pathlib import Path

from hfsync.render.reference import BEGIN, END, reference

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text(encoding="utf-8")
head, _, rest = text.partition(BEGIN + "\n")
_, _, tail = rest.partition(END)
readme.write_text(f"{head}{BEGIN}\n{reference()}{END}{tail}", encoding="utf-8")
