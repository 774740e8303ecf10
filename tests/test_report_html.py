"""The report: rendered for real (PNG decoded, HTML parsed), JSON strict and complete, bad input."""

from __future__ import annotations

import base64
import io
import json
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib.image import imread

from tagwise.exceptions import DataFormatError, LabelWarning
from tagwise.metrics import micro_f1
from tagwise.report import report_data, write_report


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.headings, self.text = [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)
        self.text.append(data)


def _problem(n=300, n_labels=12, seed=0):
    rng = np.random.default_rng(seed)
    p = 0.5 / (np.arange(n_labels) + 1) ** 0.7
    Y = (rng.random((n, n_labels)) < p).astype(int)
    S = np.clip(0.45 * Y + 0.55 * rng.random((n, n_labels)), 0, 1)
    return Y, S


HISTORY = [
    {"epoch": i, "loss": 1 / (i + 1), "val_loss": 1.1 / (i + 1) + 0.01 * i} for i in range(8)
]


def test_report_renders_every_figure(tmp_path):
    Y, S = _problem()
    names = [f"tag <{j}>" for j in range(Y.shape[1])]  # must be escaped in HTML
    data = write_report(
        tmp_path / "r.html",
        Y_true=Y,
        Y_score=S,
        label_names=names,
        history=HISTORY,
        metadata={"model": "m"},
        json_path=tmp_path / "r.json",
    )
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "tag &lt;0&gt;" in page and "tag <0>" not in page
    parser = _Images()
    parser.feed(page)
    assert len(parser.srcs) == 5  # F1/frequency, PR curves, threshold curve, heatmap, history
    for src in parser.srcs:
        assert src.startswith("data:image/png;base64,")
        pixels = imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300
        assert pixels[..., :3].std() > 0.05  # not a blank canvas
    assert {"Summary", "All metrics", "Figures", "Per-label results"} <= set(parser.headings)
    for png in data["files"]["png"]:
        assert imread(png).shape[0] > 200
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["metrics"]["micro_f1"] == pytest.approx(micro_f1(Y, (S >= 0.5).astype(int)))
    assert len(saved["labels"]) == Y.shape[1]
    assert saved["history"]["loss"][0] == 1.0
    assert set(saved["threshold_curve"]) >= {"thresholds", "micro_f1", "macro_f1"}
    assert len(saved["pr_curves"]) == 6
    assert saved["cooccurrence"]["counts"][0][0] == Y[:, 0].sum()


def test_report_data_is_strict_json_and_notes_undefined_metrics():
    Y, S = _problem()
    Y[:, 5] = 0
    with pytest.warns(LabelWarning, match=r"ROC-AUC is undefined for 1 label"):
        data = report_data(Y_true=Y, Y_score=S)
    text = json.dumps(data, allow_nan=False)
    assert "ROC-AUC is undefined" in text
    assert data["labels"][5]["roc_auc"] is None
    assert data["threshold_curve"]["used_threshold"] == 0.5


def test_report_without_scores_uses_given_predictions(tmp_path):
    Y, S = _problem(seed=1)
    P = (S > 0.6).astype(int)
    data = write_report(tmp_path / "r.html", Y_true=Y, Y_pred=P, png_dir=tmp_path / "png")
    assert "pr_curves" not in data and "threshold_curve" not in data
    assert data["metrics"]["micro_f1"] == pytest.approx(micro_f1(Y, P))
    assert len(list((tmp_path / "png").glob("*.png"))) == 2  # F1/frequency and heatmap


def test_history_as_dict_of_lists_and_many_labels(tmp_path):
    Y, S = _problem(n=150, n_labels=27, seed=2)
    data = write_report(tmp_path / "r.html", Y_true=Y, Y_score=S,
                        history={"loss": [0.9, 0.5, 0.4], "note": "x"})  # fmt: skip
    assert data["history"] == {"loss": [0.9, 0.5, 0.4]}
    assert len(data["cooccurrence"]["labels"]) == 25


def test_bad_input():
    Y, S = _problem()
    with pytest.raises(DataFormatError, match=r"probabilities in \[0, 1\]; found 2"):
        report_data(Y_true=Y, Y_score=S * 2 + 0.1)
    with pytest.raises(DataFormatError, match=r"Y_true has shape \(300, 12\) but Y_score"):
        report_data(Y_true=Y, Y_score=S[:, :3])
    with pytest.raises(DataFormatError, match=r"give Y_pred .* or Y_score"):
        report_data(Y_true=Y)
    with pytest.raises(DataFormatError, match=r"label_names has 1 names"):
        report_data(Y_true=Y, Y_score=S, label_names=["a"])
