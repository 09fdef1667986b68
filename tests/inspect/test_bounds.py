"""Each reader's bounds: what an honest file reaches is read, one step past is refused in words.

The hostile files themselves run end to end in tests/publish/test_diff_bounds.py; here are
the edges, and the readers outside a plan's diff that share the bounded parsers (the card
check, a card merge, the cache's base-model lookup, the dataset card's column types).
"""

from __future__ import annotations

import json
import struct

import pytest

from hfsync.cards.check import front_matter
from hfsync.cards.plan import merge
from hfsync.errors import HfsyncError
from hfsync.inspect import gguf
from hfsync.inspect.bounded import MAX_DEPTH, Exceeded, check_json, load_json, load_yaml
from hfsync.inspect.compare import compare
from hfsync.inspect.tabular import infer_types
from hfsync.inspect.text import MAX_LINES, unified
from tests.inspect.hostile import card, gguf_raw, lines


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nesting_is_read_up_to_the_bound_and_refused_past_it():
    assert load_json(nested(MAX_DEPTH)) is not None
    with pytest.raises(Exceeded, match=r"^nests deeper than 64 levels$"):
        load_json(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_and_escaped_quotes_do_not_count():
    text = json.dumps({"a": "[" * 1000 + '"\\' + "{" * 1000, "b": [[1]]})
    check_json(text)
    assert load_json(text)["b"] == [[1]]


def test_a_json_value_count_bound_counts_without_parsing():
    check_json("[" + ",".join(["1"] * 999) + "]", max_values=1000)  # 999 numbers and their list
    with pytest.raises(Exceeded, match=r"holds about 1,001 values, over the 1,000 a diff reads"):
        check_json("[" + ",".join(["1"] * 1000) + "]", max_values=1000)


def yaml_nested(depth: int) -> str:
    return "\n".join(" " * i + f"k{i}:" for i in range(depth)) + " 1"


def test_yaml_nesting_is_read_up_to_the_bound_and_refused_past_it():
    assert load_yaml(yaml_nested(MAX_DEPTH))["k0"] is not None
    with pytest.raises(Exceeded, match=r"^nests deeper than 64 levels$"):
        load_yaml(yaml_nested(MAX_DEPTH + 1))


def test_aliases_are_fine_until_they_expand_past_the_bound():
    honest = "base: &b {lr: 0.1, epochs: 3}\nrun1: *b\nrun2: {<<: *b, lr: 0.2}\n"
    assert load_yaml(honest)["run2"] == {"lr": 0.2, "epochs": 3}
    bomb = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: &b [" + ", ".join(["*a"] * 100) + "]\nc: [" + ", ".join(["*b"] * 10) + "]\n"
    with pytest.raises(Exceeded, match="expands to more than 100,000 values"):
        load_yaml(bomb)


def test_aliases_nesting_past_the_bound_once_expanded_are_refused():
    chain = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 70))
    with pytest.raises(Exceeded, match="nests deeper than 64 levels once its aliases are expanded"):
        load_yaml(chain)


def bomb_card(levels: int) -> str:
    front = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    front += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return card("\n".join(front)).decode()


def test_the_card_check_refuses_hostile_front_matter_as_a_problem():
    with pytest.raises(ValueError, match="expands to more than 100,000 values"):
        front_matter(bomb_card(6))
    with pytest.raises(ValueError, match="nests deeper than 64 levels"):
        front_matter(card("a: " + nested(100_000)).decode())


def test_a_card_merge_into_hostile_front_matter_is_refused_not_expanded():
    with pytest.raises(HfsyncError, match=r"README\.md:1: front matter is not valid YAML: expands to more than 100,000"):
        merge(bomb_card(6), {"license": "mit"}, "README.md")


def test_the_cache_reads_no_base_model_from_hostile_files(tmp_path):
    from hfsync.discover.cache import bases_named

    (tmp_path / "adapter_config.json").write_text(nested(100_000))
    (tmp_path / "README.md").write_text(bomb_card(6) + "base_model: x\n")
    assert bases_named(tmp_path / "adapter_config.json", tmp_path / "README.md") == ()


def test_column_types_of_a_deeply_nested_row_are_a_problem_not_a_crash():
    with pytest.raises(ValueError, match="nests deeper than 64 levels"):
        infer_types("data.jsonl", nested(20_000) + "\n")


def test_a_card_diff_past_a_bound_names_the_side():
    old, new = bomb_card(7).encode(), card("license: mit")
    assert compare("README.md", old, new).note == (
        "no diff: the Hub's front matter expands to more than 100,000 values (aliases repeat what they name)")


def test_text_diffs_read_up_to_the_line_bound():
    text = lines(MAX_LINES - 1, lambda i: f"l{i}").decode()
    assert unified(text, text + "tail\n")[-1] == "+tail"
    with pytest.raises(Exceeded, match="the new file has 200,001 lines, over the 200,000 a text diff compares"):
        unified(text, text + "tail\n" + "x\n")


def test_lines_repeated_as_honest_files_repeat_them_are_diffed():
    """Blank lines and braces, a few hundred times each in a 60,000-line file."""
    old = lines(60_000, lambda i: "" if i % 200 == 0 else "}" if i % 150 == 0 else f"code {i}").decode()
    new = old.replace("code 30001\n", "code 30001 edited\n")
    assert "+code 30001 edited" in unified(old, new)


def kv_string_array(key: str, items: list[str]) -> bytes:
    raw = b"".join(struct.pack("<Q", len(s.encode())) + s.encode() for s in items)
    return struct.pack("<Q", len(key)) + key.encode() + struct.pack("<IIQ", 9, 8, len(items)) + raw


def test_a_large_vocabulary_is_read_and_summarised():
    header = gguf.read_header(gguf_raw([kv_string_array("tokens", [f"t{i}" for i in range(300_000)])]))
    assert header.metadata["tokens"].startswith("[300000 x string, sha256 ")


def test_gguf_arrays_of_arrays_are_read_up_to_the_nesting_bound():
    def value(depth: int) -> bytes:  # an array of one array of ... of one u8
        out = b""
        for _ in range(depth - 1):
            out += struct.pack("<IQ", 9, 1)
        return out + struct.pack("<IQ", 0, 1) + b"\x07"

    kv = struct.pack("<Q", 1) + b"a" + struct.pack("<I", 9)
    assert gguf.read_header(gguf_raw([kv + value(gguf.MAX_NESTING)])).metadata["a"] == [[[[7]]]]
    with pytest.raises(gguf.GGUFError, match="arrays nest deeper than 4 levels"):
        gguf.read_header(gguf_raw([kv + value(gguf.MAX_NESTING + 1)]))


def test_a_long_gguf_string_is_shown_by_size_and_digest():
    text = b"x" * (gguf.LONG_STRING + 1)
    kv = struct.pack("<Q", 8) + b"template" + struct.pack("<IQ", 8, len(text)) + text
    assert gguf.read_header(gguf_raw([kv])).metadata["template"].startswith("[string of 65,537 bytes, sha256 ")


def test_a_gguf_vocabulary_cut_short_asks_for_more_bytes():
    data = gguf_raw([kv_string_array("tokens", [f"t{i}" for i in range(100)])])
    with pytest.raises(gguf.Truncated):
        gguf.read_header(data[:200])
