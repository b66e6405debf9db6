"""The dark theme: background #191a1f, text #ffffff, accents #4a9eff and #4ade80."""

from __future__ import annotations

from nicegui import ui

BACKGROUND = "#191a1f"
SURFACE = "#23242b"
BORDER = "#33343d"
TEXT = "#ffffff"
MUTED = "#a1a1aa"
BLUE = "#4a9eff"
GREEN = "#4ade80"
YELLOW = "#facc15"
RED = "#f87171"
SERIES = [BLUE, GREEN, "#c084fc", "#fb923c", "#22d3ee", "#f472b6", "#a3e635"]

CSS = f"""
body, .q-page, .q-layout {{ background: {BACKGROUND} !important; color: {TEXT}; }}
.q-header {{ background: {SURFACE} !important; border-bottom: 1px solid {BORDER}; }}
.q-drawer {{ background: {SURFACE} !important; }}
.q-card, .q-table__card, .q-menu, .q-dialog .q-card {{
  background: {SURFACE} !important; color: {TEXT} !important; border: 1px solid {BORDER};
}}
.q-table th, .q-table td {{ color: {TEXT}; }}
.text-muted {{ color: {MUTED}; }}
.satmon-nav .q-item--active {{ color: {BLUE}; background: rgba(74,158,255,.12); }}
.state-badge {{ display: inline-flex; align-items: center; gap: .25rem; padding: .1rem .5rem;
  border-radius: .4rem; font-weight: 600; font-size: .8rem; border: 1px solid currentColor; }}
.metric-value {{ font-size: 2rem; font-weight: 700; line-height: 1.1; }}
.chart {{ width: 100%; height: 420px; }}
.card-grid {{ display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }}
.chart-small {{ width: 100%; height: 180px; }}
mark {{ background: rgba(74,158,255,.35); color: {TEXT}; padding: 0 .1rem; }}
"""


def apply() -> None:
    """Colours and CSS of every page (called by the shared frame)."""
    ui.dark_mode(True)
    ui.colors(
        primary=BLUE,
        secondary=GREEN,
        accent=BLUE,
        positive=GREEN,
        negative=RED,
        warning=YELLOW,
        dark=BACKGROUND,
        dark_page=BACKGROUND,
    )
    ui.add_css(CSS)


def echart_base() -> dict[str, object]:
    """Options every chart starts from: dark background, readable axes."""
    axis = {
        "axisLine": {"lineStyle": {"color": MUTED}},
        "axisLabel": {"color": MUTED},
        "splitLine": {"lineStyle": {"color": BORDER}},
    }
    return {
        "backgroundColor": "transparent",
        "textStyle": {"color": TEXT},
        "color": SERIES,
        "animation": False,
        "grid": {"left": 60, "right": 24, "top": 40, "bottom": 70, "containLabel": False},
        "tooltip": {"trigger": "axis", "backgroundColor": SURFACE, "textStyle": {"color": TEXT}},
        "legend": {"textStyle": {"color": TEXT}, "top": 0},
        "xAxis": {"type": "time", **axis},
        "yAxis": {"type": "value", "scale": True, **axis},
    }
