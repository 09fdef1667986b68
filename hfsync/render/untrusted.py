"""Text from outside (upstream repo names, commit titles and authors, card metadata, file
names from listings, licenses, tags, servers' error messages) made inert for where it is shown.

One function per output kind, used by every view:

- ``terminal``: control characters (C0, DEL, C1: ESC, OSC, CSI ...) written as ``\\xNN``,
  and the invisible characters that reorder or break lines (bidi overrides and isolates,
  line and paragraph separators) as ``\\uNNNN``: text never drives the terminal nor hides
  what follows it.
- ``workflow``: ``terminal``'s escapes, and ``%`` as ``%25``, for a workflow command's message.
- ``json_document``: a JSON document keeps every value exact; DEL, C1 and the reordering
  characters are written as ``\\uNNNN`` in it, as JSON allows (C0 is escaped by ``json``).
- ``markdown``: ``terminal``'s escapes, then every character GitHub's markdown or HTML would
  act on written as an HTML character reference (``<`` ``>`` ``&``, backticks, ``|``, ``\\``,
  ``*`` ``_`` ``~`` ``$``, ``[`` ``]``), so no tag, comment (``<!--``), link, image, code span,
  emphasis, math or table cell can start inside it. References work alike in paragraphs, table
  cells and raw HTML blocks (``<summary>``), so one function serves all of them. ``@name``
  and ``@org/team`` get a zero-width joiner (U+200D) after the ``@``, and ``#123`` after the
  ``#``: GitHub's mention and issue-reference patterns need a letter or digit right there (a
  character reference would be decoded back to ``@``, and a code span would change how the
  text looks), so nobody is notified and no issue is cross-linked, while the text reads the
  same. ``javascript:``, ``data:``, ``vbscript:`` and ``file:`` lose their colon to a
  reference as well; a bare ``https://`` URL stays a link GitHub shows as written. Newlines
  become spaces: a value is one line, and a table row stays one row.

Inside a fenced code block text needs only ``terminal`` and a fence longer than any run of
backticks in it (``fence``): GitHub renders nothing there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c != 0x09}
# Bidi embeddings, overrides and isolates and the marks (Trojan Source), and line/paragraph separators.
_INVISIBLE = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
_TERMINAL = {**_CONTROL, **{c: f"\\u{c:04x}" for c in _INVISIBLE}}

# In a JSON document these can only stand inside strings, where ``\\uNNNN`` is the same character.
_JSON = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_INVISIBLE)}

ZWJ = "\u200d"
_MARKDOWN = {c: f"&#{ord(c)};" for c in "`|\\*_~$[]"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_REFERENCES = str.maketrans(_MARKDOWN)
# As GitHub finds them: after a character that is not an ASCII letter, digit or underscore
# (so ``main@1a2b3c`` and ``a@b.example`` stay as written), before a letter or digit.
_MENTION = re.compile(r"(?<![0-9A-Za-z_])([@#])(?=[0-9A-Za-z])")
_SCHEME = re.compile(r"\b(javascript|vbscript|data|file):", re.IGNORECASE)


def terminal(text: object, lines: bool = False) -> str:
    """``text`` as a terminal may show it: no control or reordering character left as is
    (``lines``: but its line breaks, for text of several lines hfsync wrote)."""
    if lines:
        return "\n".join(part.translate(_TERMINAL) for part in str(text).split("\n"))
    return str(text).translate(_TERMINAL)


def json_document(text: str) -> str:
    """A JSON document (``json.dumps`` with ``ensure_ascii=False``, which escapes C0 already)
    with DEL, C1 and reordering characters escaped too: the same data, inert on a terminal."""
    return text.translate(_JSON)


def workflow(text: object) -> str:
    """``text`` as the message of a GitHub Actions workflow command (``::notice::...``): as
    ``terminal`` shows it, and ``%`` written as the runner reads it back, so no line break,
    hence no command of its own, can be spelled into it."""
    return terminal(text).replace("%", "%25")


def markdown(text: object) -> str:
    """``text`` as GitHub markdown (paragraph, table cell or HTML block) shows it verbatim and inertly."""
    one_line = re.sub(r"\r\n?|\n", " ", str(text))
    # Joiners first: the references written next hold a '#' followed by digits themselves.
    joined = _MENTION.sub(r"\1" + ZWJ, terminal(one_line))
    return _SCHEME.sub(r"\1&#58;", joined.translate(_REFERENCES))


_PLAIN = re.compile(r"[A-Za-z0-9._/:=+-]+")


def code(text: object) -> str:
    """``text`` in a monospace span: a code span when it holds only plain characters (an id,
    a path), else ``<code>`` around what ``markdown`` makes of it (a code span cannot escape
    a backtick, and GitHub splits table cells at a ``|`` even inside one)."""
    text = str(text)
    return f"`{text}`" if _PLAIN.fullmatch(text) else f"<code>{markdown(text)}</code>"


_SPAN = re.compile(r"`([^`]+)`")


def note(text: str, endings: Iterable[str]) -> str:
    """A note hfsync wrote, as markdown: when it closes with one of ``endings`` (hfsync's fixed
    words, written after every value it holds), those words show their code spans; everything
    before them, the values with it, is ``markdown`` as any other text. A value can only end a
    note whose template ends with it, so at most it shows hfsync's own words as hfsync does."""
    ending = next((e for e in endings if text.endswith(e)), "")
    parts = _SPAN.split(ending)  # words, span, words, ...: hfsync's own, no outside value among them
    own = "".join(code(part) if i % 2 else markdown(part) for i, part in enumerate(parts))
    return markdown(text[:len(text) - len(ending)]) + own


def fence(lines: Iterable[str]) -> str:
    """A code fence longer than any run of backticks in ``lines``: content cannot close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)
