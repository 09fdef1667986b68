"""Repo cards: the README.md hfsync generates when a source has none.

The front matter goes through huggingface_hub's ModelCardData / DatasetCardData /
SpaceCardData (a model-index built from the metrics file with EvalResult); the body
holds the details, the training configuration, the metrics, provenance and a usage
snippet chosen by what the source holds. Output is a pure function of the manifest
and the source's files: no dates, no commit ids, so two plans agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.cards.check import count_rows
from hfsync.cards.datainfo import dataset_info, derived_configs, total_rows
from hfsync.errors import HfsyncError
from hfsync.hubfacts import repo_url, size_category
from hfsync.manifest.model import RepoTarget

if TYPE_CHECKING:
    from huggingface_hub import EvalResult

README = "README.md"
# Bumped whenever what generate() writes changes: plans remember a generated card's digests
# by its inputs, this and the versions (hfsync.publish.planner), so that an unchanged card is
# not generated again.
FORMAT = 3
# Metric keys Trainer writes that are not metrics.
_NOT_METRICS = frozenset({"epoch", "step", "eval_runtime", "eval_samples_per_second",
                          "eval_steps_per_second", "total_flos"})


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object file the card is built from; HfsyncError naming it otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HfsyncError(f"cannot read card {what} file {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise HfsyncError(f"{path}: card {what} file is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise HfsyncError(f"{path}: card {what} file must hold a JSON object")
    return data


def kind_of(target: RepoTarget, files: Sequence[str]) -> str:
    """What the source holds: space, dataset, peft, sentence-transformers, gguf,
    transformers, or files (nothing recognised)."""
    if target.type in ("space", "dataset"):
        return target.type
    names = {f.rsplit("/", 1)[-1] for f in files}
    if "adapter_config.json" in names:
        return "peft"
    if names & {"modules.json", "sentence_bert_config.json"}:
        return "sentence-transformers"
    if any(f.endswith(".gguf") for f in files):
        return "gguf"
    if "config.json" in names:
        return "transformers"
    return "files"


def _eval_results(target: RepoTarget, metrics: Mapping[str, Any]) -> list[EvalResult]:
    from huggingface_hub import EvalResult

    values = metrics.get("metrics", metrics)
    meta = target.card.metadata
    datasets = meta.get("datasets")
    dataset = metrics.get("dataset") or (datasets[0] if isinstance(datasets, list) and datasets else datasets)
    task = metrics.get("task") or meta.get("pipeline_tag")
    if not isinstance(values, Mapping) or not dataset or not task:
        return []  # the Hub's model-index needs a task and a dataset
    return [
        EvalResult(task_type=str(task), dataset_type=str(dataset), dataset_name=str(dataset),
                   dataset_split=metrics.get("split"), metric_type=name, metric_value=value)
        for name, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and name not in _NOT_METRICS
    ]


def _metric_rows(metrics: Mapping[str, Any]) -> list[tuple[str, Any]]:
    values = metrics.get("metrics", metrics)
    if not isinstance(values, Mapping):
        return []
    return [(k, v) for k, v in values.items() if not isinstance(v, Mapping | list) and k not in _NOT_METRICS]


def _cell(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: Sequence[tuple[str, Any]], head: tuple[str, str]) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "| --- | --- |"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in rows]
    return "\n".join(lines)


def _app_file(files: Sequence[str], sdk: str | None) -> str | None:
    if sdk == "static":
        return "index.html" if "index.html" in files else None
    if sdk == "docker":
        return None
    if "app.py" in files:
        return "app.py"
    return next((f for f in files if f.endswith(".py") and "/" not in f), None)


def _front_matter(target: RepoTarget, kind: str, files: Sequence[str],
                  adapter: Mapping[str, Any], metrics: Mapping[str, Any] | None) -> str:
    # Only when a card is written: huggingface_hub's card module costs start-up time.
    from huggingface_hub import DatasetCardData, ModelCardData, SpaceCardData

    meta = dict(target.card.metadata)
    name = target.id.split("/")[-1]
    if kind == "space":
        sdk = target.space.sdk if target.space else meta.get("sdk")
        meta.setdefault("title", name)
        meta["sdk"] = sdk
        if (app := _app_file(files, sdk)) is not None:
            meta.setdefault("app_file", app)
        if target.description:
            meta.setdefault("short_description", target.description)
        return SpaceCardData(**meta).to_yaml()
    if kind == "dataset":
        meta.setdefault("pretty_name", name)
        info = None
        if "configs" not in meta and (configs := derived_configs(files)):
            meta["configs"] = configs
            info = dataset_info(target.source.path, configs, files)
            if info is not None:
                meta.setdefault("dataset_info", info)
        rows = total_rows(info) if info is not None else count_rows(target.source.path, files)
        if "size_categories" not in meta and rows is not None:
            meta["size_categories"] = [size_category(rows)]
        return DatasetCardData(**meta).to_yaml()
    library = {"peft": "peft", "sentence-transformers": "sentence-transformers",
               "transformers": "transformers"}.get(kind)
    if library:
        meta.setdefault("library_name", library)
    if kind == "peft" and adapter.get("base_model_name_or_path"):
        meta.setdefault("base_model", adapter["base_model_name_or_path"])
    if kind == "gguf":
        meta.setdefault("tags", [])
        if "gguf" not in meta["tags"]:
            meta["tags"] = [*meta["tags"], "gguf"]
    results = _eval_results(target, metrics) if metrics else []
    if results:
        meta["model_name"] = name
        meta["eval_results"] = results
    return ModelCardData(**meta).to_yaml()


def _usage(target: RepoTarget, kind: str, files: Sequence[str], adapter: Mapping[str, Any], endpoint: str) -> str:
    repo = target.id
    meta = target.card.metadata
    if kind == "space":
        sdk = target.space.sdk if target.space else meta.get("sdk")
        return (f"This Space runs on **{sdk}**. Run it locally:\n\n```bash\n"
                f"git clone {repo_url(endpoint, 'space', repo)}\ncd {repo.split('/')[-1]}\n"
                + ("pip install -r requirements.txt\n" if "requirements.txt" in files else "")
                + {"gradio": "python app.py", "streamlit": "streamlit run app.py",
                   "docker": "docker build -t space . && docker run -p 7860:7860 space",
                   "static": "python -m http.server"}.get(str(sdk), "")
                + "\n```")
    if kind == "dataset":
        return f'```python\nfrom datasets import load_dataset\n\nds = load_dataset("{repo}")\n```'
    if kind == "peft":
        base = meta.get("base_model") or adapter.get("base_model_name_or_path") or "BASE_MODEL"
        auto = "AutoModelForSequenceClassification" if adapter.get("task_type") == "SEQ_CLS" else (
            "AutoModelForCausalLM")
        return ("```python\nfrom peft import PeftModel\n"
                f"from transformers import {auto}\n\n"
                f'base = {auto}.from_pretrained("{base}")\n'
                f'model = PeftModel.from_pretrained(base, "{repo}")\n```')
    if kind == "sentence-transformers":
        return ("```python\nfrom sentence_transformers import SentenceTransformer\n\n"
                f'model = SentenceTransformer("{repo}")\n'
                'embeddings = model.encode(["An example sentence"])\n```')
    if kind == "gguf":
        gguf = next(f for f in files if f.endswith(".gguf"))
        return (f"With [llama.cpp](https://github.com/ggml-org/llama.cpp):\n\n```bash\n"
                f"llama-cli -hf {repo} -p \"Hello\"\n```\n\nWith llama-cpp-python:\n\n```python\n"
                "from llama_cpp import Llama\n\n"
                f'llm = Llama.from_pretrained(repo_id="{repo}", filename="{gguf}")\n```')
    if kind == "transformers":
        task = meta.get("pipeline_tag")
        if task:
            return ("```python\nfrom transformers import pipeline\n\n"
                    f'pipe = pipeline("{task}", model="{repo}")\n```')
        return ("```python\nfrom transformers import AutoModel, AutoTokenizer\n\n"
                f'tokenizer = AutoTokenizer.from_pretrained("{repo}")\n'
                f'model = AutoModel.from_pretrained("{repo}")\n```')
    return ("```python\nfrom huggingface_hub import snapshot_download\n\n"
            f'path = snapshot_download(repo_id="{repo}")\n```')


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path.absolute(), root.absolute())).as_posix()


def read_inputs(
    target: RepoTarget, files: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """(adapter config, training configuration, metrics) a generated card is built from;
    HfsyncError naming the file that cannot be read."""
    peft = kind_of(target, files) == "peft"
    adapter = read_json(target.source.path / "adapter_config.json", "adapter") if peft else {}
    training = read_json(target.card.training, "training") if target.card.training else None
    metrics = read_json(target.card.metrics, "metrics") if target.card.metrics else None
    return adapter, training, metrics


def generate(target: RepoTarget, files: Sequence[str], endpoint: str) -> str:
    """The README.md for ``target``, whose source holds ``files`` (relative paths), published to the Hub at
    ``endpoint`` (which the usage snippet clones from)."""
    root = target.source.path
    kind = kind_of(target, files)
    adapter, training, metrics = read_inputs(target, files)
    name = target.id.split("/")[-1]
    what = {"space": "Space", "dataset": "dataset"}.get(kind, "model")
    meta = target.card.metadata
    details = [("Repository", f"`{target.id}`")]
    if target.description:
        details.append(("Description", target.description))
    for key, label in (("base_model", "Base model"), ("license", "License"), ("language", "Language"),
                       ("pipeline_tag", "Task"), ("task_categories", "Tasks"), ("datasets", "Datasets")):
        value = meta.get(key) or (adapter.get("base_model_name_or_path") if key == "base_model" else None)
        if value:
            details.append((label, ", ".join(value) if isinstance(value, list) else str(value)))
    if kind in ("peft", "sentence-transformers", "gguf", "transformers"):
        details.append(("Format", {"peft": "PEFT adapter", "sentence-transformers": "Sentence Transformers",
                                   "gguf": "GGUF", "transformers": "Transformers"}[kind]))
    sections = [f"# {name}", target.description or f"A {what} published with hfsync.",
                f"## {what[0].upper()}{what[1:]} details",
                "\n".join(f"- **{label}:** {value}" for label, value in details)]
    if training is not None and target.card.training is not None:  # read from that file
        sections += ["## Training configuration",
                     f"From `{target.card.training.name}`:",
                     _table(list(training.items()), ("parameter", "value"))]
    if metrics is not None and (rows := _metric_rows(metrics)):
        sections += ["## Evaluation", _table(rows, ("metric", "value"))]
    sections += ["## Usage", _usage(target, kind, files, adapter, endpoint)]
    base = root.parent
    listed = sorted(files)
    provenance = [f"Published with hfsync from `{_relative(root, base)}` "
                  f"({len(listed)} file{'s' if len(listed) != 1 else ''})."]
    if target.card.training or target.card.metrics:
        used = [p for p in (target.card.training, target.card.metrics) if p]
        provenance.append("Card built from " + ", ".join(f"`{_relative(p, base)}`" for p in used) + ".")
    sections += ["## Provenance", " ".join(provenance)]
    front = _front_matter(target, kind, files, adapter, metrics).strip()
    return f"---\n{front}\n---\n\n" + "\n\n".join(sections) + "\n"


def inputs(target: RepoTarget) -> list[Path]:
    """Local files a generated card is built from (beyond the source's file list)."""
    extra = [target.card.training, target.card.metrics]
    adapter = target.source.path / "adapter_config.json"
    return [p for p in (*extra, adapter) if p is not None and p.is_file()]
