"""The NASA SMAP/MSL folder shipped in the repository, and one laid out the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from satmon.forecast.nasa import (
    anomaly_mask,
    merge_spans,
    nasa_channels,
    nasa_labels,
    nasa_root,
    nasa_spacecraft,
    nasa_windows,
    orion_results,
)
from satmon.settings import REPO_ROOT

SHIPPED = REPO_ROOT / "data" / "nasa-smap-msl"


def test_the_default_root_is_the_shipped_folder() -> None:
    assert nasa_root() == SHIPPED
    assert len(nasa_channels(split="train")) == 81
    assert len(nasa_channels(split="test")) == 58
    assert (SHIPPED / "LICENSE.TranAD-BSD-3-Clause").exists()
    assert (SHIPPED / "LICENSE.Orion-MIT").exists()


def test_the_environment_variable_names_another_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from satmon.settings import Settings

    monkeypatch.setenv("SATMON_NASA_ROOT", "/elsewhere/nasa")
    assert Settings().nasa_root == Path("/elsewhere/nasa")


def test_labels_merge_a_channel_listed_twice() -> None:
    labels = nasa_labels()
    assert labels["C-1"] == [(550, 750), (2100, 2210)]
    assert labels["P-2"] == [(5300, 6575)]  # the release lists [5350, 6575] and [5300, 6420]
    assert merge_spans([(10, 20), (0, 5), (6, 8), (30, 40)]) == [(0, 8), (10, 20), (30, 40)]
    assert nasa_spacecraft()["M-6"] == "MSL"


def test_anomaly_mask_is_inclusive() -> None:
    mask = anomaly_mask(10, [(2, 3), (8, 9)])
    assert mask.tolist() == [False, False, True, True, False, False, False, False, True, True]


def test_nasa_windows_flag_windows_touching_labels() -> None:
    ws = nasa_windows(channels=["C-1"])
    series = np.load(SHIPPED / "test" / "C-1.npy")[:, 0]
    assert len(ws) == len(series) - 29
    anomalous = ws.flags["anomalous"]
    assert not anomalous[550 - 30] and anomalous[550 - 29] and anomalous[750] and not anomalous[751]
    assert np.array_equal(ws.x[0], series[:20].astype(np.float64))


def test_a_folder_of_the_original_arrays_reads_the_same(tmp_path: Path) -> None:
    """The release's own files (float64, command flags after column 0) work as they are."""
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        column = np.load(SHIPPED / split / "C-1.npy")[:, 0].astype(np.float64)
        flags = np.zeros((len(column), 24))
        np.save(tmp_path / split / "C-1.npy", np.column_stack([column, flags]))
    shutil.copy(SHIPPED / "labeled_anomalies.csv", tmp_path)
    theirs, ours = nasa_windows(tmp_path), nasa_windows(channels=["C-1"])
    assert np.array_equal(theirs.x, ours.x) and np.array_equal(
        theirs.flags["anomalous"], ours.flags["anomalous"]
    )
    assert orion_results(tmp_path) == []


def test_a_missing_split_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="SATMON_NASA_ROOT"):
        nasa_channels(tmp_path)


def test_orion_results_hold_the_published_counts() -> None:
    rows = [r for r in orion_results() if r.pipeline == "aer" and r.dataset == "SMAP"]
    assert len(rows) == 51
    tp, fp, fn = (sum(getattr(r, k) for r in rows) for k in ("tp", "fp", "fn"))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert round(2 * precision * recall / (precision + recall), 3) == 0.759
