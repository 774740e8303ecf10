# ruff: noqa: E501  (checksums and URLs are kept on one line each)
"""The benchmark dataset registry: names, files with sha256 checksums, splits and citations.

Files live in the data home (``$TAGWISE_DATA``, default ``$XDG_CACHE_HOME/tagwise/datasets``
or ``~/.cache/tagwise/datasets``), one folder per dataset. :func:`fetch` puts them there — from
a local mirror directory (``source=``; CI uses ``../shared/datasets``) or by download from the
dataset's canonical public location — and verifies every checksum. A file whose checksum does
not match is never installed and never loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["REGISTRY", "DatasetInfo", "data_home", "get_info"]

_MULAN = "https://raw.githubusercontent.com/tsoumakas/mulan/43f6389095ad71984264db4387a8074b22bc7d4a/data/multi-label"
_GOEMO = "https://raw.githubusercontent.com/monologg/GoEmotions-pytorch/b75f9d3a8b76bc1060687925b04ca98a1b8ea66b/data/original"


@dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one dataset."""

    name: str
    kind: str  # "arff", "goemotions" or "reuters"
    description: str
    files: dict[str, str]  # file name → sha256
    splits: dict[str, str]  # split → file name (ARFF/TSV) or JSONL
    n_labels: int
    n_features: int | None  # None for raw text
    n_samples: dict[str, int]
    citation: str
    source: str
    urls: dict[str, str] = field(default_factory=dict)  # file name → canonical download URL
    xml: str | None = None

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "format": self.kind,
            "splits": self.n_samples,
            "n_labels": self.n_labels,
            "n_features": self.n_features if self.n_features is not None else "raw text",
            "files": self.files,
            "source": self.source,
            "citation": self.citation,
        }


def _mulan(
    name: str,
    folder: str,
    desc: str,
    files: dict[str, str],
    splits: dict[str, str],
    n_labels: int,
    n_features: int,
    n_samples: dict[str, int],
    citation: str,
) -> DatasetInfo:
    xml = next(f for f in files if f.endswith(".xml"))
    return DatasetInfo(
        name=name,
        kind="arff",
        description=desc,
        files=files,
        splits=splits,
        n_labels=n_labels,
        n_features=n_features,
        n_samples=n_samples,
        citation=citation,
        source=f"MULAN repository, tsoumakas/mulan@43f6389, data/multi-label/{folder}/",
        urls={f: f"{_MULAN}/{folder}/{f}" for f in files},
        xml=xml,
    )


REGISTRY: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        _mulan(
            "yeast",
            "yeast",
            "Yeast gene functional classes: 103 numeric expression features.",
            {
                "yeast-train.arff": "e759dc991ff54694a4ff9c4314f3be0d6fd2b1994a4b563f57e416394c6aebbd",
                "yeast-test.arff": "4aaac102bff9669a765bf0b378602e5cc8c3b181048282e2f003117b496d552a",
                "yeast.xml": "c3056cc26444b5158b1588d1b73bec9c45429e10f0957ad085903423cb81f247",
            },
            {"train": "yeast-train.arff", "test": "yeast-test.arff"},
            14,
            103,
            {"train": 1500, "test": 917},
            'A. Elisseeff and J. Weston, "A kernel method for multi-labelled classification", '
            "NIPS 14, 2001.",
        ),
        _mulan(
            "emotions",
            "emotions",
            "Music clips, 72 rhythmic/timbre features, 6 emotions.",
            {
                "emotions-train.arff": "bbe704106c79bb8fb99c1d1d2e9bde081d6a2daeb01f100862f11fd91a3c1f98",
                "emotions-test.arff": "f13d4b746b7b5c8eb484bd751d6ac463d4560dff998a93516a5c1fe35daf6c8f",
                "emotions.xml": "dbce8e6ccbbb2fcbfd9e9edbb230d7ed12692c6e13f59fdbc0161fa9b6cf2dc0",
            },
            {"train": "emotions-train.arff", "test": "emotions-test.arff"},
            6,
            72,
            {"train": 391, "test": 202},
            'K. Trohidis, G. Tsoumakas, G. Kalliris, I. Vlahavas, "Multilabel Classification of '
            'Music into Emotions", ISMIR 2008, pp. 325-330.',
        ),
        _mulan(
            "scene",
            "scene",
            "Natural scene images, 294 colour-moment features, 6 labels.",
            {
                "scene-train.arff": "b53ba93bdf412de922e3960389bcee24744fa3e872ce610511fc1d750888b64d",
                "scene-test.arff": "ea38d20296b3ff7e220f477a3b802a9bcb2d768881fe6ee163efbc97ea527a42",
                "scene.xml": "55d8b247b949ad5c52e5a73d8c6775ec6e5469ce9682465b45b333b68ee4bcc5",
            },
            {"train": "scene-train.arff", "test": "scene-test.arff"},
            6,
            294,
            {"train": 1211, "test": 1196},
            'M. R. Boutell, J. Luo, X. Shen, C. M. Brown, "Learning multi-label scene '
            'classification", Pattern Recognition 37(9):1757-1771, 2004.',
        ),
        _mulan(
            "bibtex",
            "bibtex",
            "BibSonomy BibTeX entries: 1836 binary word features, 159 tags.",
            {
                "bibtex-train.arff": "8dcc9de6e0b2cebaec8c1f4fac78431adeeb73cfd3ab879b530a66d366e59174",
                "bibtex-test.arff": "9b03329cde64d3f994bdf7fbbac3f3b10fe185c311cb9ae725475f59c7f3f922",
                "bibtex.xml": "08fe20013c1e75dcf1888c185f5187c95e76495b8518ce289b4d3afce38d1232",
            },
            {"train": "bibtex-train.arff", "test": "bibtex-test.arff"},
            159,
            1836,
            {"train": 4880, "test": 2515},
            'I. Katakis, G. Tsoumakas, I. Vlahavas, "Multilabel Text Classification for Automated '
            'Tag Suggestion", ECML/PKDD 2008 Discovery Challenge.',
        ),
        _mulan(
            "delicious",
            "delicious",
            "del.icio.us pages: 500 binary word features, 983 tags.",
            {
                "delicious-train.arff": "030186cdb542ebdd32052fcdbb1ebe30115b3a22518c1b4b198c45eb827aebe1",
                "delicious-test.arff": "2dfb01723a819914b0ca83361177ed413ce3f2169851d9f228d4692915d63944",
                "delicious.xml": "4e0c0f93c7d86a39b9fca4aaefaa00e9428f2c80277732dfbf03ca48e2c14da2",
            },
            {"train": "delicious-train.arff", "test": "delicious-test.arff"},
            983,
            500,
            {"train": 12920, "test": 3185},
            'G. Tsoumakas, I. Katakis, I. Vlahavas, "Effective and Efficient Multilabel '
            "Classification in Domains with Large Number of Labels\", ECML/PKDD 2008 MMD'08.",
        ),
        _mulan(
            "corel5k",
            "corel5k",
            "Corel images: 499 binary visual-word features, 374 words.",
            {
                "Corel5k-train-sparse.arff": "19eb253c447144bea74ffa86b4731a56022addae2ba7d0aab72ad07fdc02e9b3",
                "Corel5k-test-sparse.arff": "e8f8e9cd052c43ba7bdfdf99d242f461fc8c2a03163466d921e576887b51d8a7",
                "Corel5k.xml": "54ef6a6ccb7ca9b77524052b34b306d5d501661a5609b9d1cc7085b2b597679d",
            },
            {"train": "Corel5k-train-sparse.arff", "test": "Corel5k-test-sparse.arff"},
            374,
            499,
            {"train": 4500, "test": 500},
            'P. Duygulu, K. Barnard, N. de Freitas, D. Forsyth, "Object recognition as machine '
            'translation", ECCV 2002.',
        ),
        DatasetInfo(
            name="reuters21578",
            kind="reuters",
            description="Reuters-21578 newswire, ModApte split, the 90 categories with a training "
            "and a test document (R90); raw text (title + body).",
            files={
                "modapte_train.jsonl.gz": "c379083ab2579870a60ca20eecd57c9848695cf0e40f32fed5d9f50c316067f6",
                "modapte_test.jsonl.gz": "91501a32dd60bbc2baf2ed38ace9f3632491fe0162541ef99c01eaba5eba9c14",
                "modapte90_categories.txt": "f9f2f45f295272bf1ca5bf43b666e9e80fec57d559ec12e400120f5f8bc6372c",
            },
            splits={"train": "modapte_train.jsonl.gz", "test": "modapte_test.jsonl.gz"},
            n_labels=90,
            n_features=None,
            n_samples={"train": 7770, "test": 3019},
            citation="Reuters-21578, Distribution 1.0 (D. D. Lewis); ModApte split: C. Apté, F. "
            "Damerau, S. M. Weiss, ACM TOIS 12(3):233-251, 1994. For research purposes only.",
            source="derived from the SGML of MateuszKeller/KSR@3cae0b8 data/ (JSONL built for "
            "tagwise; no public copy to download: use --from DIR)",
        ),
        DatasetInfo(
            name="goemotions",
            kind="goemotions",
            description="GoEmotions: English Reddit comments, 27 emotions + neutral; raw text.",
            files={
                "train.tsv": "1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5",
                "dev.tsv": "575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62",
                "test.tsv": "0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4",
                "emotions.txt": "45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89",
            },
            splits={"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"},
            n_labels=28,
            n_features=None,
            n_samples={"train": 43410, "dev": 5426, "test": 5427},
            citation="D. Demszky, D. Movshovitz-Attias, J. Ko, A. Cowen, G. Nemade, S. Ravi, "
            '"GoEmotions: A Dataset of Fine-Grained Emotions", ACL 2020.',
            source="monologg/GoEmotions-pytorch@b75f9d3 data/original/ (official google-research "
            "files; labels.txt there is emotions.txt here)",
            urls={
                "train.tsv": f"{_GOEMO}/train.tsv",
                "dev.tsv": f"{_GOEMO}/dev.tsv",
                "test.tsv": f"{_GOEMO}/test.tsv",
                "emotions.txt": f"{_GOEMO}/labels.txt",
            },
        ),
    ]
}


def data_home(path: str | Path | None = None) -> Path:
    """The data home: ``path``, else ``$TAGWISE_DATA``, else the per-user cache directory."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("TAGWISE_DATA")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tagwise" / "datasets"


def get_info(name: str) -> DatasetInfo:
    """The registry entry of ``name``; a clear error listing the known names otherwise."""
    from tagwise.exceptions import DataFormatError

    key = name.lower()
    if key not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(key, list(REGISTRY), n=2)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise DataFormatError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}.{hint}"
        )
    return REGISTRY[key]
