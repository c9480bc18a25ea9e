"""`make screenshot`: docs/report-sample.png, the README's picture of report.html.

Renders the wave of 450 sources that tests/integration/test_report_browser.py lays out
(tooling/sample_wave.py) and photographs its first 1,600 px in headless Chromium, at the
width that test checks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "report-sample.png"


def main() -> int:
    from sample_wave import wave
    from sms_export.core.page import render

    browser = shutil.which("chromium")
    if browser is None:
        print("needs chromium: apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "report.html"
        page.write_text(render(wave()), encoding="utf-8")
        TARGET.parent.mkdir(exist_ok=True)
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={Path(work) / 'profile'}",
                f"--screenshot={TARGET}",
                "--window-size=1280,1600",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
