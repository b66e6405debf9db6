"""NASA SMAP / MSL telemetry: channels, series, labelled anomalies, Orion's results.

A NASA folder (``data/nasa-smap-msl`` in the repository unless ``SATMON_NASA_ROOT`` or
an explicit ``root`` names another) holds ``train/<chan>.npy``, ``test/<chan>.npy``,
``labeled_anomalies.csv`` and, optionally, Orion's per-signal benchmark results. Column 0
of each array is the telemetry value; any further columns (the original release's
one-hot command flags) are ignored.
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.datasets import WindowSet, series_flags, windows_from_series

Span = tuple[int, int]
ORION_RESULTS = "orion-0.7.1-dev-channels.csv"


def nasa_root(root: Path | None = None) -> Path:
    """``root`` if given, else the ``nasa_root`` setting (``SATMON_NASA_ROOT``)."""
    if root is not None:
        return Path(root)
    from satmon.settings import get_settings

    return get_settings().nasa_root


def nasa_channels(root: Path | None = None, split: str = "test") -> list[str]:
    """Channel ids with an array under ``<root>/<split>/``, sorted."""
    folder = nasa_root(root) / split
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no NASA {split} split at {folder}: point --nasa or SATMON_NASA_ROOT at a folder "
            f"with {split}/<chan>.npy (see data/nasa-smap-msl/README.md)"
        )
    return sorted(p.stem for p in folder.glob("*.npy"))


def load_nasa_series(chan: str, split: str = "test", root: Path | None = None) -> np.ndarray:
    """Column 0 (the telemetry value) of ``<root>/<split>/<chan>.npy`` as float64 ``[T]``."""
    array = np.load(nasa_root(root) / split / f"{chan}.npy")
    values = array[:, 0] if array.ndim == 2 else array.ravel()
    return values.astype(np.float64)


def nasa_labels(root: Path | None = None) -> dict[str, list[Span]]:
    """Labelled anomaly sequences per channel: inclusive ``(start, end)`` test indices.

    A channel listed on several rows (P-2 in the original release) gets the union of
    their sequences, overlapping ones merged."""
    raw: dict[str, list[Span]] = {}
    with (nasa_root(root) / "labeled_anomalies.csv").open() as fh:
        for row in csv.DictReader(fh):
            seqs = ast.literal_eval(row["anomaly_sequences"])
            raw.setdefault(row["chan_id"], []).extend((int(a), int(b)) for a, b in seqs)
    return {chan: merge_spans(spans) for chan, spans in raw.items()}


def nasa_spacecraft(root: Path | None = None) -> dict[str, str]:
    """Channel → ``SMAP`` or ``MSL`` for the channels of ``labeled_anomalies.csv``."""
    with (nasa_root(root) / "labeled_anomalies.csv").open() as fh:
        return {row["chan_id"]: row["spacecraft"] for row in csv.DictReader(fh)}


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted inclusive spans with overlapping or touching ones merged."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def anomaly_mask(length: int, sequences: Iterable[Span]) -> np.ndarray:
    """Boolean ``[length]``: True inside any inclusive labelled sequence."""
    mask = np.zeros(length, dtype=bool)
    for start, end in sequences:
        mask[start : end + 1] = True
    return mask


def nasa_windows(
    root: Path | None = None,
    split: str = "test",
    stride: int = 1,
    channels: Sequence[str] | None = None,
    portion: tuple[float, float] = (0.0, 1.0),
) -> WindowSet:
    """Windows over column 0 of each channel (group = channel), from the ``portion`` of
    each series given as fractions of its length (``(0.8, 1.0)``: its last fifth).
    ``flags["anomalous"]`` marks windows whose 30 points touch a labelled sequence (test
    split only); ``weight`` and ``line_better`` are from ``series_flags``."""
    labels = nasa_labels(root) if split == "test" else {}
    parts = []
    for chan in channels if channels is not None else nasa_channels(root, split):
        series = load_nasa_series(chan, split, root)
        start, end = (round(f * len(series)) for f in portion)
        series = series[start:end]
        x, y = windows_from_series(series, stride=stride)
        mask = anomaly_mask(end, labels.get(chan, []))[start:]
        touched, _ = windows_from_series(mask.astype(np.float64), WINDOW + HORIZON, 0, stride)
        anomalous = touched.any(axis=1) if len(touched) else np.zeros(len(x), dtype=bool)
        flags = {"anomalous": anomalous[: len(x)], **series_flags(x, y)}
        parts.append(WindowSet(x, y, np.full(len(x), chan), flags))
    return WindowSet.concat(parts)


@dataclass(frozen=True)
class OrionRow:
    """One pipeline's event counts on one signal, from Orion's benchmark results."""

    dataset: str
    pipeline: str
    signal: str
    tp: int
    fp: int
    fn: int


def orion_results(root: Path | None = None) -> list[OrionRow]:
    """Orion's published per-signal counts for the channels of ``root`` (empty if the
    folder has no results file)."""
    path = nasa_root(root) / ORION_RESULTS
    if not path.exists():
        return []
    with path.open() as fh:
        return [
            OrionRow(
                r["dataset"], r["pipeline"], r["signal"], int(r["tp"]), int(r["fp"]), int(r["fn"])
            )
            for r in csv.DictReader(fh)
        ]
