"""Regenerate docs/report_top.png, the README's screenshot of the top of the reading page.

    python docs/make_report_top.py results/report/index.html   # a real run's page
    python docs/make_report_top.py                              # the test fixture's page

Headless Chromium (Debian's) at 1280 x 900 through Playwright, scaled to 960 px and reduced to
64 colours so the committed PNG stays small.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "report_top.png"


def fixture_page(root: Path) -> Path:
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "workflow")]
    from report_fixture import build_fixture_page

    return build_fixture_page(root)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(sys.argv[1]) if len(sys.argv) > 1 else fixture_page(Path(tmp))
        shot = Path(tmp) / "top.png"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.resolve().as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(shot))
            browser.close()
        im = Image.open(shot).convert("RGB")
        im = im.resize((960, round(im.height * 960 / im.width)), Image.LANCZOS)
        im.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    print(f"{OUT} ({OUT.stat().st_size // 1024} KiB) from {page_path}")


if __name__ == "__main__":
    main()
