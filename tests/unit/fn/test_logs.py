"""Reading a function's log: its last lines, and new lines as they are written."""

from __future__ import annotations

from pathlib import Path

from satmon.fn.logs import LogFollower, last_lines


def test_last_lines_reads_from_the_end_of_a_large_log(tmp_path: Path) -> None:
    log = tmp_path / "f.log"
    log.write_text("".join(f"line {i:06d} {'x' * 80}\n" for i in range(20_000)))
    tail = last_lines(log, 2).splitlines()
    assert [t.split()[1] for t in tail] == ["019998", "019999"]
    assert last_lines(log, 0) == ""


def test_follower_gives_complete_new_lines_and_survives_truncation(tmp_path: Path) -> None:
    log = tmp_path / "f.log"
    log.write_text("old\n")
    follower = LogFollower(log)
    assert follower.read_new() == []
    with log.open("a") as handle:
        handle.write("one\ntw")
    assert follower.read_new() == ["one"]
    with log.open("a") as handle:
        handle.write("o\n")
    assert follower.read_new() == ["two"]
    log.write_text("fresh\n")  # the file was truncated and written anew
    assert follower.read_new() == ["fresh"]
