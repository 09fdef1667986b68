"""A fixed set of changes for content-diff tests: every kind of file a reviewer meets.

``before()`` is what the Hub holds, ``after()`` the source folder to plan; the planted
Hugging Face token in creds.txt must never be shown.
"""

from __future__ import annotations

import json

from tests.inspect.samples import gguf_bytes, safetensors_bytes

TOKEN = "h" + "f_" + "Qx7Rk2Lm9Vb4Tz8Wc1Np5Yd3Hs6Jf0GuAe"
INDEX = json.dumps({"metadata": {"total_size": 28},
                    "weight_map": {"a": "model-00001-of-00002.safetensors",
                                   "b": "model-00002-of-00002.safetensors"}}, indent=2) + "\n"
BIG = "".join(f"line {i} of a long log\n" for i in range(60_000))  # about 1.4 MB


def before() -> dict[str, bytes]:
    return {
        "config.json": json.dumps({"architectures": ["BertModel"], "hidden_size": 8, "num_labels": 2},
                                  indent=2).encode(),
        "README.md": b"---\nlicense: mit\ntags:\n- text-classification\n---\n# Sentiment\n\nA small model.\n",
        "notes.txt": b"trained for 3 epochs\nlearning rate 1e-4\nbatch 32\n",
        "model.safetensors": safetensors_bytes({"w": ("F32", [4, 4]), "b": ("F32", [4])}),
        "sharded/model.safetensors.index.json": INDEX.encode(),
        "sharded/model-00001-of-00002.safetensors": safetensors_bytes({"a": ("F32", [2, 2])}),
        "sharded/model-00002-of-00002.safetensors": safetensors_bytes({"b": ("F32", [3])}),
        "m.gguf": gguf_bytes({"general.name": "tiny", "llama.context_length": 2048},
                             {"tok_embd": ("F16", [8, 4]), "out": ("F16", [4])}),
        "train.csv": b"text,label\ngood,1\nbad,0\n",
        "logo.png": b"\x89PNG\r\n\x1a\n\x00" + bytes(range(256)),
        "big.txt": BIG.encode(),
        "creds.txt": b"hello\n",
    }


def after() -> dict[str, bytes]:
    files = before()
    files.update({
        "config.json": json.dumps({"architectures": ["BertModel"], "hidden_size": 8, "num_labels": 3,
                                   "torch_dtype": "bfloat16"}, indent=2).encode(),
        "README.md": b"---\nlicense: apache-2.0\ntags:\n- text-classification\n---\n# Sentiment\n\n"
                     b"A small model, now with three labels.\n",
        "notes.txt": b"trained for 5 epochs\nlearning rate 1e-4\nbatch 32\nwarmup 100 steps\n",
        "model.safetensors": safetensors_bytes({"w": ("BF16", [4, 4]), "b": ("F32", [4]), "extra": ("F16", [2])}),
        "sharded/model-00001-of-00002.safetensors": safetensors_bytes({"a": ("BF16", [2, 2])}),
        "sharded/model-00002-of-00002.safetensors": safetensors_bytes({"b": ("F32", [3])}, fill=9),
        "m.gguf": gguf_bytes({"general.name": "tiny", "llama.context_length": 4096},
                             {"tok_embd": ("Q4_K", [8, 4]), "out": ("F16", [4])}),
        "train.csv": b"text,label,source\ngood,1,web\nbad,0,web\nfine,1,forum\n",
        "logo.png": b"\x89PNG\r\n\x1a\n\x00" + bytes(reversed(range(256))),
        "big.txt": BIG.replace("line 7 of", "line seven of").encode(),
        "creds.txt": f"hello\ntoken = {TOKEN}\n".encode(),
    })
    return files
