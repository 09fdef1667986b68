"""Content diffs by kind of file: text, JSON key paths, cards, GGUF, tables, binary."""

from __future__ import annotations

import json
import struct

import pytest

from hfsync.inspect.compare import SUMMARY_LINES, compare, kind_of
from hfsync.inspect.gguf import GGUFError, Truncated, read_header
from hfsync.model.inspect import Entry, FileDiff
from tests.inspect.samples import gguf_bytes, safetensors_bytes


def test_kinds_by_name():
    assert [kind_of(p) for p in ("a/model.safetensors", "m.Q4_K.gguf", "README.md", "config.json",
                                 "data/train.csv", "x.jsonl", "chat_template.jinja", "docs/README.md")] == [
        "safetensors", "gguf", "card", "json", "tabular", "tabular", "text", "text"]


def test_text_is_a_unified_diff_of_hunks():
    diff = compare("train.py", b"a\nb\nc\n", b"a\nB\nc\nd\n")
    assert diff == FileDiff("text", lines=("@@ -1,3 +1,4 @@", " a", "-b", "+B", " c", "+d"))


def test_a_missing_final_newline_is_said():
    assert compare("x.txt", b"a\n", b"a").lines[-1] == "\\ newline at end of file removed"


def test_json_by_key_path_with_lists_of_objects_indexed():
    old = {"num_labels": 2, "id2label": {"0": "neg", "1": "pos"}, "architectures": ["A"], "layers": [{"n": 1}]}
    new = {"num_labels": 3, "id2label": {"0": "neg", "1": "pos", "2": "neutral"}, "architectures": ["B"],
           "layers": [{"n": 2}], "torch_dtype": "bfloat16"}
    diff = compare("config.json", json.dumps(old).encode(), json.dumps(new).encode())
    assert diff.entries == (
        Entry("architectures", ["A"], ["B"]),
        Entry("id2label.2", None, "neutral"),
        Entry("layers[0].n", 1, 2),
        Entry("num_labels", 2, 3),
        Entry("torch_dtype", None, "bfloat16"),
    )


def test_json_that_does_not_parse_on_one_side_falls_back_to_text():
    diff = compare("config.json", b'{"a": 1,}\n', b'{"a": 2}\n')
    assert diff.kind == "text" and "+{\"a\": 2}" in diff.lines


def test_card_front_matter_by_key_and_body_as_text():
    old = "---\nlicense: mit\ntags: [a]\n---\n# Model\nOld words.\n"
    new = "---\nlicense: apache-2.0\ntags: [a]\nlanguage: en\n---\n# Model\nNew words.\n"
    diff = compare("README.md", old.encode(), new.encode())
    assert diff.entries == (Entry("card.language", None, "en"), Entry("card.license", "mit", "apache-2.0"))
    assert diff.lines == ("@@ -1,2 +1,2 @@", " # Model", "-Old words.", "+New words.")


def test_a_card_with_broken_front_matter_is_all_body():
    diff = compare("README.md", b"---\n: [\n---\nx\n", b"---\n: [\n---\ny\n")
    assert diff.entries == () and "+y" in diff.lines


def test_gguf_metadata_and_tensor_table():
    old = gguf_bytes({"general.name": "m", "llama.context_length": 2048, "tokenizer.ggml.tokens": ["a"] * 20},
                     {"tok_embd": ("F16", [8, 4]), "out": ("F16", [4])})
    new = gguf_bytes({"general.name": "m", "llama.context_length": 4096, "tokenizer.ggml.tokens": ["b"] * 20},
                     {"tok_embd": ("Q4_K", [8, 4]), "extra": ("F32", [2])})
    entries = compare("m.gguf", old, new).entries
    assert entries[0] == Entry("kv.llama.context_length", 2048, 4096)
    assert entries[1].key == "kv.tokenizer.ggml.tokens" and entries[1].old.startswith("[20 x string, sha256 ")
    assert Entry("tensor.tok_embd", "F16 [8, 4]", "Q4_K [8, 4]") in entries
    assert Entry("tensor.out", "F16 [4]", None) in entries and Entry("tensor.extra", None, "F32 [2]") in entries


@pytest.mark.parametrize(("data", "error", "message"), [
    (b"GGU", Truncated, "goes past the 3 bytes read"),
    (b"GGML" + b"\0" * 20, GGUFError, "no GGUF magic"),
    (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), GGUFError, "version 1 is not supported"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 10**12), GGUFError, "key-value count"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 99),
     GGUFError, "unknown value type 99"),
    (gguf_bytes({"a": "b"}, {"t": ("F32", [2])}, data=0)[:-6], Truncated, "goes past"),
])
def test_hostile_or_cut_gguf_headers(data, error, message):
    with pytest.raises(error, match=message):
        read_header(data)


def test_an_unreadable_header_says_which_side():
    good = safetensors_bytes({"w": ("F32", [2])})
    assert compare("m.safetensors", b"\0" * 4, good).note.startswith("no safetensors diff: the Hub's header")
    assert compare("m.safetensors", good, b"junk").note.startswith("no safetensors diff: the new header")


def test_tables_by_columns_and_rows():
    old = b"text,label\nhi,1\nyo,0\n"
    new = b"text,label,source\nhi,1,a\nyo,0,b\nhey,1,c\n"
    assert compare("train.csv", old, new).entries == (Entry("column.source", None, "present"), Entry("rows", 2, 3))
    jsonl = compare("d.jsonl", b'{"a": 1}\n', b'{"a": 1, "b": 2}\n{"a": 3}\n')
    assert jsonl.entries == (Entry("column.b", None, "present"), Entry("rows", 1, 2))
    partial = compare("train.csv", old, new + b"cut,0,x", complete=False)
    assert Entry("rows", "unknown", "unknown") not in partial.entries  # both unknown: no change said


def test_binary_has_no_diff_and_says_so():
    assert compare("weights.bin", b"\0\1\2", b"\0\1\3") == FileDiff("none", note="binary file: no diff")


def test_a_summary_keeps_the_first_lines_and_says_what_it_cut():
    new = "".join(f"line {i}\n" for i in range(100)).encode()
    summary = compare("notes.txt", b"", new)
    assert len(summary.lines) == SUMMARY_LINES
    assert summary.note == "61 more diff lines (+100 -0 in all) not shown; --diff full shows them"
    assert len(compare("notes.txt", b"", new, full=True).lines) == 101


@pytest.mark.parametrize(("path", "old", "new"), [
    ("README.md", b"---\nlanguage: [en, fr]\n---\n# A\n", b"---\nlanguage:\n- en\n- fr\n---\n# A\n"),
    ("config.json", b'{"a": 1}', b'{\n  "a": 1\n}\n'),
    ("t.csv", b"x,y\n1,2\n", b'"x","y"\n1,2\n'),
])
def test_a_change_of_formatting_alone_shows_the_text_diff(path, old, new):
    diff = compare(path, old, new)
    assert diff.note == "same values: only the formatting differs" and diff.lines and not diff.entries


def test_a_new_json_file_shows_each_key_as_added():
    diff = compare("new.json", None, b'{"a": 1, "b": [1]}')
    assert diff.entries == (Entry("a", None, 1), Entry("b", None, [1]))


def test_a_new_csv_shows_its_columns_and_rows_as_added():
    diff = compare("t.csv", None, b"x,y\n1,2\n3,4\n")
    assert diff.entries == (Entry("column.x", None, "present"), Entry("column.y", None, "present"),
                            Entry("rows", None, 2))


def test_a_safetensors_file_with_the_same_header_says_its_tensor_data_changed():
    old, new = safetensors_bytes({"w": ("F32", [2])}, fill=1), safetensors_bytes({"w": ("F32", [2])}, fill=2)
    assert compare("model.safetensors", old, new) == FileDiff("safetensors", note="tensor data changed, header unchanged")


def test_a_new_card_and_a_first_key_in_an_empty_json_document_read_as_additions():
    assert compare("README.md", None, b"---\nlicense: mit\n---\n# A\n").entries == (Entry("card.license", None, "mit"),)
    assert compare("README.md", b"# A\n", b"---\nlicense: mit\n---\n# A\n").entries == (
        Entry("card.license", None, "mit"),)
    assert compare("config.json", b"{}", b'{"a": 1}').entries == (Entry("a", None, 1),)
    assert compare("config.json", None, b"{}\n") == FileDiff("json")
