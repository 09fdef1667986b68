"""Content diffs of hostile files end in "no diff: <reason>", never in an internal error.

Each case of tests/inspect/hostile.py is a file on the sandbox Hub replaced by a local
one, planned end to end with `hfsync plan --detailed-exitcode`, as a user runs it. Time
and memory are bench/bench_diff_bounds.py's to measure, on these same cases.
"""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from tests.inspect import hostile

HOSTILE = {
    "json_deep": "# no diff: the new file nests deeper than 64 levels",
    "json_deep_object": "# no diff: the Hub's file nests deeper than 64 levels",
    "json_long_paths": "# no diff: the key paths of the two sides are longer than 16,000,000 characters in all",
    "yaml_bomb": "# no diff: the Hub's front matter expands to more than 100,000 values (aliases repeat what they name)",
    "yaml_deep": "# no diff: the Hub's front matter nests deeper than 64 levels",
    "yaml_deep_block": "# no diff: the Hub's front matter nests deeper than 64 levels",
    "yaml_self": "# no diff: the Hub's front matter holds an alias inside the value it names "
                 "(a value that contains itself)",
    "csv_wide": "# no diff: the new file has a first line longer than the 65.5 kB read of it",
    "tsv_wide": "# no diff: the new file has 100,000 columns, over the 10,000 a diff compares",
    "csv_big_field": "# no diff: the new file cannot be read as CSV at line 2 (field larger than field limit (131072))",
    "jsonl_long_line": "# no diff: the new file has a first line longer than the 65.5 kB read of it",
    "jsonl_deep": "# no diff: the new file has a row at line 1 that nests deeper than 64 levels",
    "safetensors_huge_claim": "# no safetensors diff: the new header cannot be read (header length "
                              "1152921504606846976 is over the 100000000-byte limit)",
    "safetensors_deep_metadata": "# no safetensors diff: the new header cannot be read (header nests deeper than "
                                 "any safetensors header does)",
    "safetensors_many_values": "# no safetensors diff: the new header cannot be read (header holds about 30,000,004 "
                               "values, over the 1,000,000 a diff reads)",
    "gguf_huge_count": "# no gguf diff: the new header cannot be read (array count 1,152,921,504,606,846,976 is "
                       "past the 10,000,000 this reader accepts)",
    "gguf_nested_arrays": "# no gguf diff: the new header cannot be read (arrays nest deeper than 4 levels)",
    "gguf_many_values": "# no gguf diff: the new header cannot be read (key-value count 3,000,000 is past the "
                        "100,000 this reader accepts)",
    "gguf_long_string": "# no gguf diff: the new header cannot be read (string length count 30,000,000 is past "
                        "the 10,000,000 this reader accepts)",
    "parquet_many_chunks": "# no parquet diff: the new footer cannot be read (footer length 26,805,416 is over the "
                           "2.1 MB limit)",
    "parquet_wide": "# no parquet diff: the new footer cannot be read (footer length 4,177,817 is over the 2.1 MB "
                    "limit)",
    "parquet_deep": "# no parquet diff: the new footer cannot be read (pyarrow: Parquet schema too "
                    "deeply nested, consider increasing schema depth limit (current limit is 100))",
    "parquet_lying_count": "# no parquet diff: the new footer cannot be read (pyarrow: Couldn't deserialize "
                           "thrift: TProtocolException: Exceeded size limit)",
    "text_long_line": "# 20.0 MB is over the 1.0 MB a text diff reads: no diff",
    "text_many_lines": "# no diff: the new file has 450,000 lines, over the 200,000 a text diff compares",
    "text_repeats": "# no diff: repeats lines too often to diff within 16,000,000 line comparisons",
}

# What the honest peers, and the hostile files a bound does not stop, show instead.
SHOWN = {
    "json_good": "~ num_labels = 2 -> 3",
    "card_good": '~ card.license = "mit" -> "apache-2.0"',
    "csv_good": "~ rows = 1000 -> 1001",
    "csv_many_rows": "~ rows = 3 -> 900000",
    "jsonl_good": "~ rows = 999 -> 1000",
    "weights_good": '+ tensor.b = "F32 [64]"',
    "gguf_good": '~ kv.general.name = "m" -> "m2"',
    "parquet_good": '+ column.c10 = "int32 not null"',
    "text_good": "+ line 1000, edited, of an honest file",
    "text_long_lines": "@@ -1 +1 @@",
    "text_no_common": "@@ -1,50000 +1,50000 @@",
}


def planned(project, name: str):  # type: ignore[no-untyped-def]
    """`hfsync plan` of the case NAME: its old file on the Hub, its new one in the source."""
    case = getattr(hostile, name)()
    api = HfApi(endpoint=project.sandbox.url, token=project.sandbox.token)
    # The Hub refuses a hostile card from the client; one already there is what a plan reads.
    api._validate_yaml = lambda *args, **kwargs: None  # type: ignore[method-assign]
    api.create_repo("acme/bounds")
    api.upload_file(path_or_fileobj=case.old, path_in_repo=case.path, repo_id="acme/bounds")
    project.yaml("version: 1\nrepos:\n  - id: acme/bounds\n    source: {path: src}\n    card: {generate: false}\n")
    project.write(f"src/{case.path}", case.new)
    return project.plan("--detailed-exitcode")


def lines(output: str) -> list[str]:
    """The plan's lines, their indentation and the alignment of ``=`` taken out."""
    return [" ".join(line.split()) for line in output.splitlines()]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_no_diff_with_the_reason(project, name):
    result = planned(project, name)
    assert result.exit_code == 2, result.output
    assert HOSTILE[name] in lines(result.stdout)
    assert "Traceback" not in result.output and "Internal error" not in result.output


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_honest_files_and_those_within_bounds_are_diffed(project, name):
    result = planned(project, name)
    assert result.exit_code == 2, result.output
    assert SHOWN[name] in lines(result.stdout)
    assert "no diff" not in result.stdout
