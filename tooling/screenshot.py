"""`make screenshot`: docs/report-sample.png, the README's picture of report.html.

Runs the function on events/tasks.csv (one row of it is rejected) against the emulator,
with one source made to differ, and photographs the report in headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "report-sample.png"


def main() -> int:
    import index
    from emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, EmulatorServer, SmsBackend
    from emulator.sms.models import check_of
    from localrun.contexts import LambdaContext

    browser = shutil.which("chromium")
    if browser is None:
        print("needs chromium: apt-get install chromium", file=sys.stderr)
        return 1
    backend = SmsBackend(credentials={DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    differing = check_of("4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11")
    differing["consistency_result"][0].update(num_different_files=3, num_target_miss_files=1)
    backend.checks["4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11"] = [differing]
    with tempfile.TemporaryDirectory() as work, EmulatorServer(backend) as emulator:
        os.environ.update(
            SMS_ENDPOINT=emulator.endpoint,
            CLOUD_SDK_AK=DEMO_ACCESS_KEY,
            CLOUD_SDK_SK=DEMO_SECRET_KEY,
            EXPORT_DIR=str(Path(work) / "out"),
        )
        sample = ROOT / "events" / "tasks.csv"
        rows = [
            dict(zip(("task_id", "source_id", "source_name"), line.split(","), strict=False))
            for line in sample.read_text(encoding="utf-8").splitlines()[1:]
        ]
        outcome = index.handler({"task_info": rows}, LambdaContext())
        page = Path(outcome["report"].removeprefix("file://"))
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
                "--window-size=900,1000",
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
