"""Facts about the Hub that hfsync checks offline: license ids, and the like.

These mirror the Hub's documented lists (hub-docs "Licenses"); the server keeps the
final word, which plan asks through /api/validate-yaml when online.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

LICENSES: frozenset[str] = frozenset(
    """
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
    bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd
    bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0
    cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0
    cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0
    gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl
    apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openmdw-1.1 openrail++ osl-3.0
    postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
    fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4
    grok2-community gemma unknown other
    """.split()
)

REPO_TYPES: tuple[str, ...] = ("model", "dataset", "space")

# Files that load through pickle: refused unless a manifest allows unsafe formats.
PICKLE_SUFFIXES: tuple[str, ...] = (
    ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".dill", ".mar", ".nemo",
)


def is_pickle_file(path: str) -> bool:
    """Whether a file name belongs to a format that can run code when loaded."""
    return path.lower().endswith(PICKLE_SUFFIXES)

# The Hub's task ids (pipeline_tag for models, task_categories for datasets), as in
# huggingface.js packages/tasks pipelines.ts.
TASKS: frozenset[str] = frozenset(
    """
    text-classification token-classification table-question-answering question-answering
    zero-shot-classification translation summarization feature-extraction text-generation
    fill-mask sentence-similarity text-to-speech text-to-audio automatic-speech-recognition
    audio-to-audio audio-classification audio-text-to-text voice-activity-detection
    depth-estimation image-classification object-detection image-segmentation text-to-image
    image-to-text image-to-image image-to-video unconditional-image-generation
    video-classification reinforcement-learning robotics tabular-classification
    tabular-regression tabular-to-text table-to-text multiple-choice text-ranking
    text-retrieval time-series-forecasting text-to-video image-text-to-text
    image-text-to-image image-text-to-video visual-question-answering
    document-question-answering zero-shot-image-classification graph-ml mask-generation
    zero-shot-object-detection text-to-3d image-to-3d image-feature-extraction
    video-text-to-text keypoint-detection visual-document-retrieval any-to-any
    video-to-video other
    """.split()
)

# ISO 639-1 codes, and the ISO 639-3 codes that most often appear on the Hub for
# languages without a two-letter code. Region/script subtags (en-US, zh-Hant) are
# accepted on top of a known code.
LANGUAGES: frozenset[str] = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
    ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks
    ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl
    nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl
    sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve
    vi vo wa wo xh yi yo za zh zu
    ace ady afr als amh ang arb arz ast awa azj bak bal ban bar bcl bel ben bho bjn bod bos
    bpy bre bug bul bxr cat cdo ceb ces che chr chv ckb cmn cos crh cym dan deu diq dsb dty
    ell eng epo est eus ewe ext fao fas fil fin fra frr fry fur gle glg glk gom grn gsw guj
    hak hat hau haw heb hif hin hrv hsb hun hye ibo ido ilo ina ind isl ita jav jbo jpn kaa
    kab kan kat kaz kbd khm kin kir kor krc ksh kur lad lao lat lav lez lij lim lin lit lmo
    ltz lug lzh mai mal mar mhr min mkd mlg mlt mon mri mrj msa mwl mya myv mzn nah nan nap
    nds nep new nld nno nob nor nso oci ori oss pag pam pan pap pcd pcm pdc pfl pms pnb pol
    por pus que roh ron rue rus sah san scn sco sgs sin slk slv sme sna snd som sot spa sqi
    srd srp sun swa swe szl tam tat tcy tel tgk tgl tha tir ton tsn tuk tur tyv udm uig ukr
    urd uzb vec vep vie vls vol war wln wol wuu xal xho xmf yid yor yue zea zho zsm zul
    multilingual code
    """.split()
)

# The Hub's size_categories values, smallest first, with their row-count bounds.
SIZE_CATEGORIES: tuple[tuple[str, int, int], ...] = (
    ("n<1K", 0, 10**3),
    ("1K<n<10K", 10**3, 10**4),
    ("10K<n<100K", 10**4, 10**5),
    ("100K<n<1M", 10**5, 10**6),
    ("1M<n<10M", 10**6, 10**7),
    ("10M<n<100M", 10**7, 10**8),
    ("100M<n<1B", 10**8, 10**9),
    ("1B<n<10B", 10**9, 10**10),
    ("10B<n<100B", 10**10, 10**11),
    ("100B<n<1T", 10**11, 10**12),
    ("n>1T", 10**12, 10**30),
)


def size_category(rows: int) -> str:
    """The size_categories value the Hub uses for a dataset of ``rows`` rows."""
    return next(name for name, low, high in SIZE_CATEGORIES if low <= rows < high)


def license_of(card_data: Mapping[str, Any] | None, tags: Iterable[str] = ()) -> str | None:
    """A repo's license id: its card's ``license`` (the first if a list), else a
    ``license:`` tag, as the Hub shows it."""
    value = (card_data or {}).get("license")
    if isinstance(value, list):
        value = value[0] if value else None
    if value:
        return str(value)
    return next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)


def base_models_of(card_data: Mapping[str, Any] | None, tags: Iterable[str] = ()) -> tuple[str, ...]:
    """The models a repo says it was made from: its card's ``base_model`` (one or a list), else
    its ``base_model:`` tags (the Hub also tags the relation: ``base_model:adapter:<id>``)."""
    declared = (card_data or {}).get("base_model")
    if declared:
        found = [str(d) for d in (declared if isinstance(declared, list) else [declared])]
    else:
        found = [re.sub(r"^(adapter|finetune|quantized|merge):", "", t.split(":", 1)[1])
                 for t in tags if t.startswith("base_model:")]
    return tuple(dict.fromkeys(found))


# huggingface_hub.utils.validate_repo_id's rules, kept here so that checking a manifest does
# not import huggingface_hub (its utils package alone costs more than the whole of validate);
# tests/test_hubfacts.py holds the two to the same answers.
_REPO_ID = re.compile(r"(\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", re.ASCII)


def is_valid_repo_id(repo_id: str) -> bool:
    """Whether the Hub accepts ``repo_id`` ("name" or "namespace/name"), as huggingface_hub checks it."""
    return (repo_id.count("/") <= 1 and _REPO_ID.fullmatch(repo_id) is not None
            and "--" not in repo_id and ".." not in repo_id and not repo_id.endswith(".git"))


def target_key(repo_type: str, repo_id: str) -> str:
    """A target's address in plans, locks and --target: ``type:id``, but the plain id for models."""
    return repo_id if repo_type == "model" else f"{repo_type}:{repo_id}"


def download_command(repo_id: str, repo_type: str, folder: str) -> str:
    """The `hf download` line that fills ``folder`` with the repo as the Hub has it."""
    kind = f" --repo-type {repo_type}" if repo_type != "model" else ""
    return f"hf download {repo_id}{kind} --local-dir {folder}"


def repo_url(endpoint: str, repo_type: str, repo_id: str) -> str:
    """The repo's page on the Hub at ``endpoint`` (``https://huggingface.co/datasets/acme/d``)."""
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    return f"{endpoint.rstrip('/')}/{prefix}{repo_id}"


def resolve_url(endpoint: str, repo_type: str, repo_id: str, revision: str, path: str) -> str:
    """Where the Hub at ``endpoint`` serves ``path`` at ``revision``, as huggingface_hub's
    ``hf_hub_url`` spells it (without loading its download module, a pull's largest import)."""
    return f"{repo_url(endpoint, repo_type, repo_id)}/resolve/{quote(revision, safe='')}/{quote(path)}"
