"""Generated cards for each kind of source parse back with huggingface_hub, carrying the metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import DatasetCard, ModelCard, SpaceCard

from hfsync.cards.plan import local_card
from hfsync.manifest.load import load
from hfsync.publish.source import source_files
from tests.helpers import hfsync

SOURCES = {
    "transformers": {"config.json": '{"model_type": "bert"}', "model.safetensors": "x"},
    "peft": {"adapter_config.json": json.dumps({"base_model_name_or_path": "acme/base-7b",
                                                "peft_type": "LORA", "task_type": "CAUSAL_LM"}),
             "adapter_model.safetensors": "x"},
    "st": {"modules.json": "[]", "sentence_bert_config.json": "{}", "config.json": "{}"},
    "gguf": {"tiny-q4_k_m.gguf": "GGUF"},
    "plain": {"weights.safetensors": "x"},
    "data": {"train.csv": "text,label\n" + "".join(f"row {i},1\n" for i in range(1500)), "test.jsonl": '{"a": 1}\n'},
    "app": {"app.py": "import gradio\n", "requirements.txt": "gradio\n"},
}

MANIFEST = """version: 1
defaults: {namespace: acme}
repos:
  - id: bert-ft
    source: {path: transformers}
    card:
      metadata: {license: apache-2.0, language: [en, fr], pipeline_tag: text-classification,
                 datasets: [acme/reviews], tags: [sentiment]}
      training: train.json
      metrics: metrics.json
  - id: lora
    source: {path: peft}
    card: {metadata: {license: mit, tags: [peft, lora]}}
  - id: embed
    source: {path: st}
    card: {metadata: {license: mit, pipeline_tag: sentence-similarity}}
  - id: tiny-gguf
    source: {path: gguf}
    card: {metadata: {license: llama3.1, base_model: meta-llama/Llama-3.1-8B}}
  - id: plain
    source: {path: plain}
  - id: reviews
    type: dataset
    source: {path: data}
    card: {metadata: {license: cc-by-4.0, language: [en], task_categories: [text-classification]}}
  - id: demo
    type: space
    description: Try the classifier
    space: {sdk: gradio}
    source: {path: app}
    card: {metadata: {license: mit, models: [acme/bert-ft]}}
"""


@pytest.fixture
def workspace(tmp_path: Path):
    for folder, files in SOURCES.items():
        for name, text in files.items():
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / name).write_text(text)
    (tmp_path / "train.json").write_text(json.dumps({"learning_rate": 2e-5, "num_train_epochs": 3, "seed": 7}))
    (tmp_path / "metrics.json").write_text(json.dumps({"eval_accuracy": 0.93, "eval_f1": 0.91, "epoch": 3.0}))
    (tmp_path / "hfsync.yaml").write_text(MANIFEST)
    return tmp_path, {t.id: t for _, t in load([tmp_path / "hfsync.yaml"]).repos}


def _card(tmp_path: Path, targets, repo_id: str, cls):  # type: ignore[no-untyped-def]
    target = targets[repo_id]
    text = local_card(target, source_files(target), "https://huggingface.co")
    assert text == local_card(target, source_files(target), "https://huggingface.co")  # deterministic: plans are stable
    path = tmp_path / f"{repo_id.replace('/', '_')}.md"
    path.write_text(text)
    return text, cls.load(path)


def test_transformers_card_with_model_index_training_table_and_pipeline(workspace):
    root, targets = workspace
    text, card = _card(root, targets, "acme/bert-ft", ModelCard)
    data = card.data.to_dict()
    assert {k: data[k] for k in ("license", "language", "pipeline_tag", "datasets", "tags", "library_name")} == {
        "license": "apache-2.0", "language": ["en", "fr"], "pipeline_tag": "text-classification",
        "datasets": ["acme/reviews"], "tags": ["sentiment"], "library_name": "transformers"}
    (result,) = data["model-index"]
    assert result["name"] == "bert-ft"
    assert [(m["type"], m["value"]) for m in result["results"][0]["metrics"]] == [
        ("eval_accuracy", 0.93), ("eval_f1", 0.91)]
    assert result["results"][0]["dataset"]["type"] == "acme/reviews"
    assert "| learning_rate | 2e-05 |" in text and "| num_train_epochs | 3 |" in text
    assert "| eval_accuracy | 0.93 |" in text and "epoch" not in text.split("## Evaluation")[1].split("##")[0]
    assert 'pipeline("text-classification", model="acme/bert-ft")' in text


def test_peft_card_loads_the_adapter_on_its_base_model(workspace):
    root, targets = workspace
    text, card = _card(root, targets, "acme/lora", ModelCard)
    assert card.data.base_model == "acme/base-7b"  # from adapter_config.json
    assert (card.data.license, card.data.library_name, card.data.tags) == ("mit", "peft", ["peft", "lora"])
    assert 'base = AutoModelForCausalLM.from_pretrained("acme/base-7b")' in text
    assert 'PeftModel.from_pretrained(base, "acme/lora")' in text


def test_sentence_transformers_gguf_and_plain_snippets(workspace):
    root, targets = workspace
    text, card = _card(root, targets, "acme/embed", ModelCard)
    assert card.data.library_name == "sentence-transformers"
    assert 'SentenceTransformer("acme/embed")' in text
    text, card = _card(root, targets, "acme/tiny-gguf", ModelCard)
    assert (card.data.license, card.data.base_model, card.data.tags) == (
        "llama3.1", "meta-llama/Llama-3.1-8B", ["gguf"])
    assert "llama-cli -hf acme/tiny-gguf" in text and 'filename="tiny-q4_k_m.gguf"' in text
    text, card = _card(root, targets, "acme/plain", ModelCard)
    assert 'snapshot_download(repo_id="acme/plain")' in text


def test_dataset_card_counts_rows_into_size_categories(workspace):
    root, targets = workspace
    text, card = _card(root, targets, "acme/reviews", DatasetCard)
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0" and data["task_categories"] == ["text-classification"]
    assert data["size_categories"] == ["1K<n<10K"]  # 1500 CSV rows + 1 JSONL row
    assert 'load_dataset("acme/reviews")' in text


def test_space_card_front_matter_and_sdk(workspace):
    root, targets = workspace
    text, card = _card(root, targets, "acme/demo", SpaceCard)
    data = card.data.to_dict()
    assert {k: data[k] for k in ("title", "sdk", "app_file", "license", "models", "short_description")} == {
        "title": "demo", "sdk": "gradio", "app_file": "app.py", "license": "mit", "models": ["acme/bert-ft"],
        "short_description": "Try the classifier"}
    assert "This Space runs on **gradio**" in text and "python app.py" in text


def test_existing_readme_keeps_its_body_and_gains_declared_metadata(workspace):
    root, targets = workspace
    (root / "peft" / "README.md").write_text("---\nlicense: apache-2.0\nown: kept\n---\n# Hand written\n\nBody.\n")
    targets = {t.id: t for _, t in load([root / "hfsync.yaml"]).repos}
    _, card = _card(root, targets, "acme/lora", ModelCard)
    assert card.text.strip() == "# Hand written\n\nBody."
    assert card.data.to_dict() == {"license": "mit", "own": "kept", "tags": ["peft", "lora"]}


def test_card_render_prints_what_apply_publishes(workspace, sandbox):
    root, _ = workspace
    rendered = hfsync("card", "render", "dataset:acme/reviews", "-f", str(root / "hfsync.yaml"))
    assert rendered.exit_code == 0 and rendered.stdout.startswith("---\n")
    manifest = root / "hfsync.yaml"
    manifest.write_text(MANIFEST.replace("namespace: acme", "namespace: sandbox"))
    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    applied = hfsync(*args, "apply", "-f", str(manifest), "--auto-approve", "--target", "dataset:sandbox/reviews")
    assert applied.exit_code == 0, applied.output
    from huggingface_hub import HfApi

    published = Path(HfApi(endpoint=sandbox.url, token=sandbox.token).hf_hub_download(
        "sandbox/reviews", "README.md", repo_type="dataset")).read_text()
    assert published == hfsync("card", "render", "dataset:sandbox/reviews", "-f", str(manifest)).stdout
    again = hfsync(*args, "plan", "-f", str(manifest), "--target", "dataset:sandbox/reviews", "--detailed-exitcode")
    assert (again.exit_code, again.stdout) == (0, "No changes.\n")


def test_render_errors(workspace):
    root, _ = workspace
    (root / "bad.json").write_text("[1, 2]")
    text = (root / "hfsync.yaml").read_text().replace("training: train.json", "training: bad.json")
    (root / "hfsync.yaml").write_text(text)
    result = hfsync("card", "render", "acme/bert-ft", "-f", str(root / "hfsync.yaml"))
    assert (result.exit_code, result.stderr) == (1, f"Error: {root / 'bad.json'}: card training file must hold a JSON object\n")
    result = hfsync("card", "render", "acme/nope", "-f", str(root / "hfsync.yaml"))
    assert result.exit_code == 1 and "no target named acme/nope" in result.stderr


def test_a_space_card_names_the_hub_it_is_published_to(workspace, sandbox):
    root, _ = workspace
    manifest = root / "hfsync.yaml"
    manifest.write_text(MANIFEST.replace("namespace: acme", "namespace: sandbox"))
    rendered = hfsync("--endpoint", "https://hub.acme.internal", "card", "render", "space:sandbox/demo",
                      "-f", str(manifest))
    assert rendered.exit_code == 0, rendered.output
    assert "git clone https://hub.acme.internal/spaces/sandbox/demo\n" in rendered.stdout
    assert "huggingface.co" not in rendered.stdout

    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    applied = hfsync(*args, "apply", "-f", str(manifest), "--auto-approve", "--no-wait", "--target", "space:sandbox/demo")
    assert applied.exit_code == 0, applied.output
    from huggingface_hub import HfApi

    published = Path(HfApi(endpoint=sandbox.url, token=sandbox.token).hf_hub_download(
        "sandbox/demo", "README.md", repo_type="space")).read_text()
    assert f"git clone {sandbox.url}/spaces/sandbox/demo\n" in published
    # The same Hub under another name: its card is another card, not the one remembered for the first.
    other = sandbox.url.replace("127.0.0.1", "localhost")
    assert other != sandbox.url
    replanned = hfsync("--endpoint", other, "--token", sandbox.token, "plan", "-f", str(manifest),
                       "--target", "space:sandbox/demo", "--detailed-exitcode")
    assert replanned.exit_code == 2, replanned.output
    assert "README.md" in replanned.stdout
