"""Checks of the reading page in headless Chromium, shared by the fixture test and the e2e demo test.

`check_page(page_path, shots_dir)` opens the page at 1280 x 800 and asserts what issue 14 asks:
every image decoded and rendered at least 600 px wide, every caption and verdict row visible,
no horizontal scrolling; saves one screenshot per section into `shots_dir`; prints the page to
PDF and checks every figure sits whole on one page and the page count is sane.
"""
from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
MIN_IMAGE_WIDTH = 600


def require_browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (bash .ci/install installs it)")
    return pytest.importorskip("playwright.sync_api")


def check_page(page_path: Path, shots_dir: Path, expect_verdicts: bool = True) -> dict:
    playwright = require_browser()
    pypdf = pytest.importorskip("pypdf")
    shots_dir.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url[:80]}"))
        page.goto(page_path.resolve().as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("""async () => Promise.all([...document.images].map(async img => {
            try { await img.decode(); } catch (e) {}
            const r = img.getBoundingClientRect();
            return {file: img.dataset.file || img.alt, natural: img.naturalWidth, width: r.width,
                    offline: img.src.startsWith('data:')};
        }))""")
        # visible = laid out with a size and not hidden (checked after scrolling it into view)
        visible_js = """els => els.map(e => { e.scrollIntoView(); const r = e.getBoundingClientRect();
            const s = getComputedStyle(e);
            return {text: e.innerText.trim().slice(0, 60), len: e.innerText.trim().length,
                    visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'}; })"""
        captions = page.locator("figure figcaption").evaluate_all(visible_js)
        table_captions = page.locator(".table > .caption").evaluate_all(visible_js)
        rows = page.locator("tr.verdict-row").evaluate_all(visible_js)
        overflow = page.evaluate("""() => ({doc: document.documentElement.scrollWidth,
            view: document.documentElement.clientWidth,
            wide: [...document.querySelectorAll('main *')].filter(e => e.scrollWidth > e.clientWidth + 1
                   && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)).length})""")
        links = page.evaluate("""() => [...document.querySelectorAll('tr.verdict-row a')].map(a =>
            ({href: a.getAttribute('href'), ok: !!document.getElementById(a.getAttribute('href').slice(1))}))""")
        sections = page.locator("main > .page-section")
        shots = []
        for i in range(sections.count()):
            sec = sections.nth(i)
            name = sec.get_attribute("id") or f"section-{i}"
            shot = shots_dir / f"{i:02d}_{name}.png"
            sec.screenshot(path=str(shot))
            shots.append(shot)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        (shots_dir / "page.pdf").write_bytes(pdf)
        browser.close()

    assert not errors, errors
    assert images, "the page has no images"
    for im in images:
        assert im["offline"], f"{im['file']} is not embedded (the page must be mailable)"
        assert im["natural"] > 0, f"{im['file']} did not decode"
        assert im["width"] >= MIN_IMAGE_WIDTH, f"{im['file']} renders {im['width']:.0f} px wide (< {MIN_IMAGE_WIDTH})"
    assert len(captions) == len(images), (len(captions), len(images))
    for c in captions + table_captions:
        assert c["visible"] and c["len"] > 20, f"caption not visible or empty: {c['text']!r}"
    if expect_verdicts:
        assert rows, "no verdict rows"
    for r in rows:
        assert r["visible"], f"verdict row not visible: {r['text']!r}"
    assert all(link["ok"] for link in links), [link for link in links if not link["ok"]]
    assert overflow["doc"] <= overflow["view"], f"page scrolls horizontally: {overflow}"
    assert overflow["wide"] == 0, f"{overflow['wide']} element(s) scroll horizontally"
    for shot in shots:
        assert shot.stat().st_size > 2_000, shot

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    per_page = [len(pg.images) for pg in reader.pages]
    # An image cut by a page break is drawn on both pages: whole figures add up exactly.
    assert sum(per_page) == len(images), f"images per PDF page {per_page}, {len(images)} figures"
    n_sections = len(shots)
    assert math.ceil(len(images) / 2) <= len(reader.pages) <= len(images) + 3 * n_sections + 5, (
        f"{len(reader.pages)} PDF pages for {len(images)} figures in {n_sections} sections")
    return dict(images=len(images), rows=len(rows), pages=len(reader.pages), shots=shots)
