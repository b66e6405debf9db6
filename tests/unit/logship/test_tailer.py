"""Reading log files from a committed position: whole lines, truncation, replacement."""

from __future__ import annotations

import os
from pathlib import Path

from satmon.logship import tailer
from satmon.logship.tailer import FileTail, Position, load_positions, save_positions


def test_only_whole_lines_are_read_and_nothing_moves_until_committed(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\nthr")
    tail = FileTail(log)
    chunk = tail.read(1 << 20)
    assert chunk is not None
    assert chunk.lines == [(0, "one"), (4, "two")]
    assert chunk.after.offset == 8
    again = tail.read(1 << 20)  # not committed: the same lines again
    assert again is not None and again.lines == chunk.lines
    tail.commit(chunk.after)
    assert tail.read(1 << 20) is None  # "thr" waits for its end
    with log.open("ab") as handle:
        handle.write(b"ee\n")
    last = tail.read(1 << 20)
    assert last is not None and last.lines == [(8, "three")]


def test_an_unfinished_line_that_stops_growing_is_read_anyway(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"died mid-li")
    monkeypatch.setattr(tailer, "PARTIAL_WAIT_S", 0.0)
    tail = FileTail(log)
    assert tail.read(1 << 20) is None  # first sight: wait
    chunk = tail.read(1 << 20)
    assert chunk is not None and chunk.lines == [(0, "died mid-li")]


def test_a_truncated_or_replaced_file_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"old line\nold line 2\n")
    tail = FileTail(log)
    chunk = tail.read(1 << 20)
    assert chunk is not None
    tail.commit(chunk.after)
    log.write_bytes(b"new\n")  # truncated and written anew: shorter than the offset
    fresh = tail.read(1 << 20)
    assert fresh is not None and fresh.lines == [(0, "new")]
    tail.commit(fresh.after)
    replacement = tmp_path / "b.log"
    replacement.write_bytes(b"rotated in\n")
    os.replace(replacement, log)  # another inode under the same name
    rotated = tail.read(1 << 20)
    assert rotated is not None and rotated.lines == [(0, "rotated in")]
    assert rotated.after.inode == log.stat().st_ino


def test_reads_are_bounded(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"".join(b"line %03d\n" % i for i in range(100)))
    tail = FileTail(log)
    chunk = tail.read(45)  # five lines of 9 bytes
    assert chunk is not None and len(chunk.lines) == 5
    tail.commit(chunk.after)
    chunk = tail.read(1 << 20)
    assert chunk is not None and chunk.lines[0] == (45, "line 005")


def test_positions_survive_a_restart_and_a_broken_file_means_none(tmp_path: Path) -> None:
    path = tmp_path / "state" / "positions.json"
    save_positions(path, {"/x/a.log": Position(12, 345)})
    assert load_positions(path) == {"/x/a.log": Position(12, 345)}
    path.write_text('{"files": {"/x/a.log": {"inode": 1')  # cut short
    assert load_positions(path) == {}
    assert load_positions(tmp_path / "missing.json") == {}
