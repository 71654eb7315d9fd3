"""Figures that show what a user of a low-resource language sees: a Sinhala neighbour
graph (labels in a Sinhala font) and the interactive explorer in a headless browser.

Trains SGNS (dim 100, 10 epochs, min_count 3, sentence split; the settings of
``notebooks/04_low_resource``) on the Ada Derana 2017 Sinhala news, then writes

- ``evals/figures/sinhala_neighbors.png``: ``wordlab plot neighbors`` of ``--word`` (the
  most frequent Sinhala word of at least four characters by default), depth 2;
- ``evals/figures/explorer_sinhala.png``: ``wordlab plot projection --html`` of that
  word's neighbourhood, opened in headless Chromium after searching ``--word``.

Prints the fonts the figure used and the neighbours the page listed. Needs a Sinhala font
(Debian: fonts-noto-core), plotly, selenium and Chromium with chromedriver.

Usage: python evals/ux_figures.py [--word WORD] [--out evals/figures]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import find_data_dir, machine_line  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--word", default=None)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "figures"))
    args = ap.parse_args()
    import wordlab
    from wordlab import plotting
    from wordlab.evals.explorer import neighbourhood_words, write_explorer
    from wordlab.evals.figures import neighbor_graph
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = wordlab.Corpus(find_data_dir() / "corpora" / "sinhala-news" / "adaderana_2017_sinhala.txt.gz",
                                sentence_split=True)
        emb = wordlab.train(corpus, "sgns", Path(tmp) / "si", dim=100, epochs=10, min_count=3, workers=2, seed=1,
                            progress=False)
        word = args.word or next(w for w in emb.words if len(w) >= 4
                                 and all(unicodedata.name(c, "").startswith("SINHALA") or c == "\u200d" for c in w))
        fig = neighbor_graph(emb, word, topn=5, depth=2)
        fig.savefig(out / "sinhala_neighbors.png", dpi=110)
        print(f"{len(emb):,} words; neighbour graph of {word!r}: fonts {plotting.fit_fonts(fig)} -> "
              f"{out / 'sinhala_neighbors.png'}")
        page = Path(tmp) / "explorer.html"
        write_explorer(page, emb, neighbourhood_words(emb, word, topn=5, depth=2), topn=5)
        print(f"explorer: {page.stat().st_size / 1e6:.1f} MB, self-contained")
        shot = _screenshot(page, word, out / "explorer_sinhala.png")
        print(f"the page, after searching {word!r}: {shot} -> {out / 'explorer_sinhala.png'}")
    print(machine_line())


def _screenshot(page: Path, word: str, png: Path) -> str:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("google-chrome")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,850"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        browser.get(page.as_uri())
        WebDriverWait(browser, 30).until(lambda b: b.find_element("tag name", "body").get_attribute("data-ready"))
        browser.find_element("id", "search").send_keys(word + "\n")
        text = browser.find_element("id", "info").text
        browser.save_screenshot(str(png))
        return text
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
