"""Dashboard goals, measured in headless Chromium against the running stack; prints its
own table. ``python bench/dashboard_bench.py`` measures first render with data (trends
over 1w, overview) and event → on screen p50 / p99 on the live page;
``--rss-minutes 60`` instead keeps two pages open and reports the dashboard process's
RSS growth. History must be there first (``satmon simulate --backfill 1w``)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import psutil
from playwright.sync_api import Page, sync_playwright

from satmon.settings import get_settings
from satmon.stack.components import dashboard_url
from satmon.stack.install import ensure_browser

FIRST_DATA = """() => {
  const el = document.querySelector('.nicegui-echart');
  const chart = el && getElement(el.id.slice(1)) && getElement(el.id.slice(1)).chart;
  const series = chart && chart.getOption().series;
  return !!(series && series.some((s) => s.name === 'raw' && s.data && s.data.length));
}"""


def first_render(page: Page, url: str, ready: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        page.goto(url)
        page.wait_for_function(ready, timeout=60_000)
        times.append(time.perf_counter() - began)
    return times


def event_to_screen(page: Page, url: str, seconds: float) -> list[float]:
    page.goto(url)
    page.wait_for_function("() => window.satmonLive !== undefined")
    page.wait_for_timeout(3000)
    page.evaluate("() => window.satmonLive.delays.splice(0)")
    page.wait_for_timeout(seconds * 1000)
    delays: list[float] = page.evaluate("() => window.satmonLive.delays.slice()")
    return delays


def rss_growth(
    pages: list[Page], base: str, minutes: float, pid: int | None
) -> tuple[float, float, float]:
    """RSS (MiB) of the dashboard process after a minute's warm-up and at the end, and
    the peak growth; one line per 30 s sample as it goes, so a cut run keeps its record."""
    if pid is None:
        pid = json.loads((get_settings().run_dir / "pids" / "dashboard.pid").read_text())["pid"]
    process = psutil.Process(pid)
    pages[0].goto(f"{base}/live")
    pages[1].goto(f"{base}/")
    time.sleep(60)  # warm: imports, first renders
    start = process.memory_info().rss
    peak = start
    began = time.monotonic()
    end_at = began + minutes * 60
    while time.monotonic() < end_at:
        time.sleep(30)
        rss = process.memory_info().rss
        peak = max(peak, rss)
        elapsed = (time.monotonic() - began) / 60
        print(f"rss {elapsed:6.1f} min {rss / 2**20:8.1f} MiB ({(rss - start) / 2**20:+.1f})")
        sys.stdout.flush()
    return start / 2**20, process.memory_info().rss / 2**20, (peak - start) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--satellite", default="SAT-001")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live-seconds", type=float, default=60)
    parser.add_argument("--rss-minutes", type=float, default=None)
    parser.add_argument("--pid", type=int, default=None, help="the dashboard process to watch")
    args = parser.parse_args()
    base = dashboard_url(get_settings()).rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(ensure_browser()), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        if args.rss_minutes is not None:
            start, end, peak = rss_growth(
                [context.new_page(), context.new_page()], base, args.rss_minutes, args.pid
            )
            print(
                f"| dashboard RSS, two pages open {args.rss_minutes:g} min "
                f"| {start:.1f} → {end:.1f} MiB "
                f"(growth {end - start:+.1f} MiB, peak +{peak:.1f} MiB) | < 20 MB |"
            )
            return
        page = context.new_page()
        trends = first_render(
            page,
            f"{base}/trends?satellite={args.satellite}&metric=temperature&range=1w",
            FIRST_DATA,
            args.runs,
        )
        overview = first_render(
            page,
            f"{base}/?satellite={args.satellite}",
            "() => !!document.querySelector('.metric-value')",
            args.runs,
        )
        delays = sorted(
            event_to_screen(page, f"{base}/live?satellite={args.satellite}", args.live_seconds)
        )
        browser.close()
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))] if delays else float("nan")
    p50 = statistics.median(delays) if delays else float("nan")
    rows = [
        (f"trends 1w, first render with data ({args.runs} loads)", trends, "< 1.5 s"),
        (f"overview, first render with values ({args.runs} loads)", overview, ""),
    ]
    print("| dashboard (Chromium) | median | worst | goal |")
    print("|---|---|---|---|")
    for name, times, goal in rows:
        print(f"| {name} | {statistics.median(times):.2f} s | {max(times):.2f} s | {goal} |")
    live = f"event → on screen, live page ({len(delays)} samples in {args.live_seconds:g} s)"
    print(f"| {live} | p50 {p50:.0f} ms | p99 {p99:.0f} ms | p99 ≤ 2 s |")


if __name__ == "__main__":
    main()
