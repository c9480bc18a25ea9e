"""report.html for a wave of 450 sources, laid out by headless Chromium at 1,280 px.

The page itself has no script; the test renders a copy with one appended, which measures
the layout and writes what it found into the DOM that Chromium dumps.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from sample_wave import wave
from sms_export.core.page import render

CHROMIUM = shutil.which("chromium")
WIDTH = 1280

# Every element holding one name, id or path (the source cells, the ids, the directories,
# the rejected cells), and whether its text took more than one line box; and anything, the
# page or a table inside it, wider than its box.
MEASURE = """
<script>
const lines = (element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
};
const names = [...document.querySelectorAll("table.sources td:first-child, .nw, .long")];
const scrolled = [...document.querySelectorAll(".scroll, svg")].filter(
  (box) => box.scrollWidth > box.clientWidth + 1);
const found = {
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  scrolled: scrolled.map((box) => `${box.textContent.slice(0, 60)}: ${box.scrollWidth} px`),
  names: names.length,
  broken: names.filter((n) => n.textContent.includes("-") && !n.classList.contains("long")
                              && lines(n) > 1).map((n) => n.textContent),
  folded: [...document.querySelectorAll("details")].map((d) => d.open),
};
const out = document.createElement("pre");
out.id = "measured";
out.textContent = JSON.stringify(found);
document.body.append(out);
</script>
"""


def measure(page: str, folder: Path) -> dict[str, Any]:
    assert CHROMIUM is not None
    copy = folder / "measured.html"
    copy.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dumped = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={folder / 'profile'}",
            f"--window-size={WIDTH},900",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dumped, re.DOTALL)
    assert found, dumped[-2000:]
    result: dict[str, Any] = json.loads(unescape(found.group(1)))
    return result


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_a_wave_of_450_sources_fits_1280_px_and_keeps_names_whole(tmp_path: Path) -> None:
    outcome = wave()
    assert outcome.consistency is not None
    # Names as long as SMS allows, in each section, to show they wrap rather than widen.
    for verdict in ("inconsistent", "unknown", "consistent"):
        source = next(s for s in outcome.consistency.sources if s.verdict == verdict)
        source.source_name = "-".join(["very-long-hostname"] * 14)[:255]
    found = measure(render(outcome), tmp_path)
    assert found["scrollWidth"] <= found["clientWidth"] <= WIDTH, found
    assert found["scrolled"] == [], found  # no table or picture wider than the page
    assert found["names"] > 450  # every source's name was looked at, and ids and paths
    assert found["broken"] == []
    assert found["folded"] == [False, False]  # the consistent sources, the batches
