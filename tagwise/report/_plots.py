"""The report's figures, drawn with matplotlib's object API (no pyplot state, no GUI backend).

Every ``plot_*`` function takes the JSON-ready data of :func:`tagwise.report.report_data` (so the
plots show exactly what the JSON holds) and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = [
    "figure_png",
    "plot_cooccurrence",
    "plot_f1_vs_frequency",
    "plot_history",
    "plot_pr_curves",
    "plot_threshold_curve",
]


def _figure(width: float = 6.4, height: float = 4.2) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def figure_png(fig: Any) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _num(values: list[Any]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def plot_f1_vs_frequency(labels: list[dict[str, Any]]) -> Any:
    """Per-label F1 against label frequency (log scale): rare labels usually fail first."""
    fig = _figure()
    ax = fig.add_subplot()
    freq = _num([r["frequency"] for r in labels])
    f1 = _num([r["f1"] for r in labels])
    shown = freq > 0
    ax.scatter(freq[shown], f1[shown], s=18, alpha=0.7, color="tab:blue", edgecolors="none")
    if shown.any():
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on short ranges
    # name the worst few among the more frequent half: those are the surprising failures
    order = [i for i in np.argsort(f1) if shown[i] and freq[i] >= np.nanmedian(freq[shown])][:5]
    for i in order:
        ax.annotate(
            str(labels[i]["label"])[:18],
            (freq[i], f1[i]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    zero = int(np.sum(~shown))
    title = "Per-label F1 vs label frequency"
    if zero:
        title += f" ({zero} label(s) without positives not shown)"
    ax.set(
        xlabel="label frequency (fraction of samples)", ylabel="F1", ylim=(-0.03, 1.03), title=title
    )
    ax.grid(alpha=0.3)
    return fig


def plot_pr_curves(curves: dict[str, dict[str, Any]]) -> Any:
    """Precision-recall curves of the most frequent labels (AP in the legend)."""
    fig = _figure()
    ax = fig.add_subplot()
    for name, c in curves.items():
        ap = c.get("average_precision")
        label = f"{name[:24]} (AP {ap:.2f})" if ap is not None else name[:24]
        ax.plot(c["recall"], c["precision"], drawstyle="steps-post", label=label, lw=1.4)
    ax.set(
        xlabel="recall",
        ylabel="precision",
        xlim=(0, 1.01),
        ylim=(0, 1.03),
        title="Precision-recall, most frequent labels",
    )
    if curves:
        ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    return fig


def plot_cooccurrence(data: dict[str, Any]) -> Any:
    """Heatmap of P(column label | row label) among the most frequent labels."""
    names = data["labels"]
    M = _num([v for row in data["conditional"] for v in row]).reshape(len(names), len(names))
    size = min(9.0, 3.0 + 0.22 * len(names))
    fig = _figure(size + 1.2, size)
    ax = fig.add_subplot()
    M[np.eye(len(names), dtype=bool)] = np.nan  # the diagonal is 1 by definition; hide it
    top = float(np.nanmax(M)) if np.isfinite(M).any() else 1.0
    im = ax.imshow(M, cmap="viridis", vmin=0, vmax=max(top, 1e-9))
    ticks = np.arange(len(names))
    short = [str(n)[:14] for n in names]
    fontsize = 8 if len(names) <= 20 else 6
    ax.set_xticks(ticks, short, rotation=90, fontsize=fontsize)
    ax.set_yticks(ticks, short, fontsize=fontsize)
    ax.set(title="Label co-occurrence: P(column | row), diagonal hidden")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def plot_threshold_curve(data: dict[str, Any]) -> Any:
    """micro-, macro- and example-F1 against one global threshold."""
    fig = _figure()
    ax = fig.add_subplot()
    t = _num(data["thresholds"])
    for key, style in (("micro_f1", "-"), ("macro_f1", "--"), ("example_f1", ":")):
        values = _num(data[key])
        best = int(np.nanargmax(values))
        ax.plot(t, values, style, label=f"{key} (best {values[best]:.3f} at {t[best]:.2f})")
        ax.plot([t[best]], [values[best]], "o", color=ax.lines[-1].get_color(), ms=4)
    ax.axvline(0.5, color="grey", lw=0.8, alpha=0.6)
    used = data.get("used_threshold")
    if used is not None and used != 0.5:
        ax.axvline(used, color="black", lw=0.8, ls="-.", label=f"model threshold {used:.2f}")
    ax.set(
        xlabel="global threshold",
        ylabel="score",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Metric against threshold",
    )
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


def plot_history(history: dict[str, list[Any]]) -> Any:
    """Training curves: every recorded series (loss, val_loss, …) against the epoch."""
    fig = _figure()
    ax = fig.add_subplot()
    for key, values in history.items():
        y = _num(values)
        if np.isfinite(y).any():
            ax.plot(
                np.arange(1, len(y) + 1), y, marker="o" if len(y) < 30 else None, ms=3, label=key
            )
    ax.set(xlabel="epoch", ylabel="value", title="Training history")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
