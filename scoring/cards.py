"""The model card of a bank's own model as its risk page shows it (issue 20): the figures the artefact holds —
metadata.json, and the calibration and points tables of card.md — under headings and labels in the reader's
language. card.md is the artefact's own text (English, written once with the model, served as is by the API) and
stays as written; only its reading on the page is translated. Figures are shown as the artefact holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import registry
from .ml.artefacts import ArtefactError, read_metadata
from .ml.schema import INPUT_WORDS
from .models import ModelVersion
from .training import model_card

# The measurements of a risk model, in the order a credit committee reads them.
METRIC_WORDS = {
    "auc": _("AUC"),
    "gini": _("Gini coefficient"),
    "ks": _("KS"),
    "brier": _("Brier score"),
    "ece": _("Calibration error (ECE)"),
}
# Where each set of measurements comes from.
SIDE_WORDS = {
    "cv": _("Cross-validated on the training rows"),
    "train": _("On the training rows"),
    "holdout": _("Out of time, on your file's last rows"),
    "platform_holdout": _("The model then in charge of your queue, on the same last rows"),
}
BAND_COLUMNS = {
    "band": _("Band"),
    "pd_range": _("PD range"),
    "loans": _("Loans"),
    "mean_pd": _("Mean predicted PD"),
    "observed_default_rate": _("Observed default rate"),
}
POINTS_COLUMNS = {
    "feature": _("Input"),
    "attribute": _("Attribute"),
    "woe": _("WOE"),
    "count": _("Loans"),
    "bad_rate": _("Default rate"),
    "points": _("Points"),
}
GROUP_WORDS = {"district": _("District"), "size": _("Firm size")}
# The headings of card.md's tables (scoring.ml.train writes them).
BAND_HEADING = "Calibration by band"
POINTS_HEADING = "Points per attribute"


@dataclass
class Card:
    kind: str
    text: str  # card.md as written with the artefact
    data: dict = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    metrics: list[tuple] = field(default_factory=list)  # (side words, [(metric words, value)])
    bands: list[list] = field(default_factory=list)  # rows of (column words, value), header first
    fairness: list[tuple] = field(default_factory=list)  # (group words, key, loans, mean PD, observed)
    points: list[list] = field(default_factory=list)


def input_words(name: str) -> str:
    """A risk input by the reader's language (the code itself when the schema has no words for it)."""
    english = not (get_language() or "").startswith("zh")
    return INPUT_WORDS.get(name, (name, name))[1 if english else 0]


def markdown_table(text: str, heading: str) -> list[list[str]]:
    """The cells of the Markdown table under the ``## heading…`` of ``text``, header row first; [] if none."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"## {heading}")), None)
    if start is None:
        return []
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not all(set(cell) <= {"-"} for cell in cells):  # the |---|---| rule
            rows.append(cells)
    return rows


def _labelled(table: list[list[str]], columns: dict, *, feature_column: str | None = None) -> list[list]:
    """Header cells in words; a row's values as written, an input's code in words, an empty attribute as missing."""
    if not table:
        return []
    head, *rows = table
    labelled = [[columns.get(cell, cell) for cell in head]]
    for row in rows:
        cells = []
        for name, value in zip(head, row, strict=False):
            if name == feature_column:
                value = input_words(value)
            elif name == "attribute" and value == "":
                value = _("missing value")
            cells.append(value)
        labelled.append(cells)
    return labelled


def bank_model_card(version: ModelVersion) -> Card | None:
    """The card of ``version`` for its page; None when the artefact's files are missing."""
    text = model_card(version)
    try:
        metadata = read_metadata(Path(registry.models_dir()) / version.name / version.version)
    except (ArtefactError, ValueError):
        return None
    metrics = metadata.get("metrics", {})
    return Card(
        kind=metadata.get("kind", ""),
        text=text,
        data=metadata.get("data", {}),
        features=[input_words(name) for name in metadata.get("features", [])],
        metrics=[
            (SIDE_WORDS[side], [(words, metrics[side].get(key)) for key, words in METRIC_WORDS.items()])
            for side in SIDE_WORDS
            if isinstance(metrics.get(side), dict)
        ],
        bands=_labelled(markdown_table(text, BAND_HEADING), BAND_COLUMNS),
        fairness=[
            (GROUP_WORDS.get(column, column), key, row.get("loans"), row.get("mean_pd"), row.get("observed"))
            for column, groups in metadata.get("fairness", {}).items()
            for key, row in groups.items()
        ],
        points=_labelled(markdown_table(text, POINTS_HEADING), POINTS_COLUMNS, feature_column="feature"),
    )
