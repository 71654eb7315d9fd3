"""The interactive explorer (wordlab.evals.explorer) in a real headless browser: the page
loads from a file with no network, draws every point, shows neighbours on search, and
the CLI writes it; a screenshot is kept in the test's temporary directory."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from wordlab import Embeddings
from wordlab.cli.main import cli

pytest.importorskip("plotly", reason="plotly (wordlab[explorer]) is not installed")


def _browser():
    """A headless Chromium driven by selenium, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("no Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900"):
        options.add_argument(arg)
    try:
        return webdriver.Chrome(service=Service(driver), options=options)
    except Exception as e:                              # a browser that cannot start here
        pytest.skip(f"headless Chromium did not start: {str(e).splitlines()[0]}")


@pytest.fixture()
def store(tmp_path):
    rng = np.random.default_rng(0)
    words = ["ගෙදර", "ලංකා", "dinilbá", "kʼehjígo"] + [f"w{i}" for i in range(60)]
    return Embeddings(words, rng.standard_normal((len(words), 12)).astype(np.float32)).save(tmp_path / "s")


def _wait_ready(browser):
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 30).until(lambda b: b.find_element("tag name", "body").get_attribute("data-ready") == "1")


def test_the_explorer_renders_and_answers_a_search(store, tmp_path, runner):
    groups = ["w1", "w2", "w3", "ගෙදර", "dinilbá"]
    r = runner.invoke(cli, ["plot", "projection", str(store), *groups, "--html", str(tmp_path / "p.html")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "cdn" not in page.lower().split("<body")[0] or "plotly.min.js" not in page    # plotly.js is inside
    browser = _browser()
    try:
        browser.get((tmp_path / "p.html").as_uri())
        _wait_ready(browser)
        points = browser.find_elements("css selector", ".scatterlayer .trace .point")
        assert len(points) == len(groups)
        labels = {e.text for e in browser.find_elements("css selector", ".scatterlayer .textpoint")}
        assert {"w1", "ගෙදර", "dinilbá"} <= labels
        box = browser.find_element("id", "search")
        box.send_keys("Dinilbá\n")                          # as the tokenizer would: NFC, lowercase
        info = browser.find_element("id", "info").text
        assert info.startswith("dinilbá") and info.count(",") >= 4          # its 5 neighbours
        assert browser.find_elements("css selector", ".annotation-text")
        box.clear()
        box.send_keys("nowhere\n")
        assert "not among the plotted words" in browser.find_element("id", "info").text
        assert browser.save_screenshot(str(tmp_path / "explorer.png"))
    finally:
        browser.quit()
    assert (tmp_path / "explorer.png").stat().st_size > 10_000


def test_two_aligned_stores_share_one_projection(store, tmp_path, runner):
    import wordlab
    base = wordlab.load(store)
    moved = Embeddings(base.words, np.asarray(base.vectors) + 0.2 * np.random.default_rng(1).standard_normal(
        (len(base), base.dim)).astype(np.float32)).save(tmp_path / "t")
    words = [f"w{i}" for i in range(10)]
    r = runner.invoke(cli, ["plot", "projection", str(store), *words, "--compare", str(moved),
                            "--html", str(tmp_path / "c.html")])
    assert r.exit_code == 0, r.output
    browser = _browser()
    try:
        browser.get((tmp_path / "c.html").as_uri())
        _wait_ready(browser)
        assert len(browser.find_elements("css selector", ".scatterlayer .trace .point")) == 20
        assert browser.save_screenshot(str(tmp_path / "compare.png"))
    finally:
        browser.quit()
    unrelated = Embeddings(base.words, np.random.default_rng(2).standard_normal((len(base), base.dim)).astype(
        np.float32)).save(tmp_path / "u")
    r = runner.invoke(cli, ["plot", "projection", str(store), *words, "--compare", str(unrelated),
                            "--html", str(tmp_path / "u.html")])
    assert r.exit_code == 1 and "share no alignment" in r.output


def test_the_cli_wants_an_output(store, runner):
    r = runner.invoke(cli, ["plot", "projection", str(store), "w1", "w2"])
    assert r.exit_code == 2 and "--html" in r.output
