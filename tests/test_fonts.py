"""Labels in any script a font is installed for (wordlab.plotting.fit_fonts), and one clear
line when none is."""
from __future__ import annotations

import warnings

import pytest

from wordlab import plotting
from wordlab.errors import WordlabWarning

SINHALA = "ශ්‍රී ලංකා ගෙදර"
NAVAJO = "dinilbá kʼehjígo hózhǫ́"


def _figure(label: str):
    fig = plotting.new_figure(3, 2)
    ax = fig.add_subplot()
    ax.set_title(label)
    ax.set_xlabel("plain ascii")
    return fig


def _has_font_for(text: str) -> bool:
    return not (set(text) - set(" ")) - {c for _, cover in plotting._fonts_for(frozenset(text)) for c in cover} \
        - {c for c in text if ord(c) in plotting._charmap(plotting._default_font()[1])}


def test_navajo_renders_in_the_default_font(tmp_path):
    fig = _figure(NAVAJO)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no glyph missing, no note
        fig.savefig(tmp_path / "nv.png")
    assert plotting.fit_fonts(fig) == [plotting._default_font()[0]]


@pytest.mark.skipif(not _has_font_for(SINHALA), reason="no Sinhala font installed (Debian: fonts-noto-core)")
def test_sinhala_labels_take_an_installed_sinhala_font(tmp_path):
    fig = _figure(SINHALA + " and " + NAVAJO)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "si.png")
    families = plotting.fit_fonts(fig)
    assert families[0] == plotting._default_font()[0] and any("Sinhala" in f for f in families[1:])
    title = fig.axes[0].title
    assert title.get_fontfamily() == families


@pytest.mark.skipif(not _has_font_for(SINHALA), reason="no Sinhala font installed (Debian: fonts-noto-core)")
def test_a_font_installed_after_matplotlibs_font_list_is_found(monkeypatch):
    """matplotlib lists the fonts once, into its cache directory: a font installed later
    (as ``apt-get install fonts-noto-core`` after a first plot) is not in that list. The
    Sinhala font is found all the same, and matplotlib's Last Resort font, whose glyphs
    are placeholders for every code point, is never taken for a script."""
    from matplotlib import font_manager
    stale = [f for f in font_manager.fontManager.ttflist if "Sinhala" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    plotting._fonts_for.cache_clear()
    try:
        chosen = plotting._fonts_for(frozenset(c for c in SINHALA if not c.isspace()))
    finally:
        plotting._fonts_for.cache_clear()
    assert any("Sinhala" in name for name, _ in chosen), chosen
    assert not any(name.startswith("Last Resort") for name, _ in chosen)


def test_a_script_without_a_font_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "_fonts_for", lambda missing: [])
    fig = _figure(SINHALA)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "boxes.png")
    ours = [w for w in caught if issubclass(w.category, WordlabWarning)]
    assert len(ours) == 1 and "Sinhala" in str(ours[0].message) and "fonts-noto-core" in str(ours[0].message)
    assert not [w for w in caught if "missing from" in str(w.message)]      # not one warning per glyph


def test_the_cli_plots_sinhala_neighbours(tmp_path, runner):
    import numpy as np

    from wordlab import Embeddings
    from wordlab.cli.main import cli
    words = ["ගෙදර", "ලංකා", "පාසල", "ගම", "රට", "නගරය"] + [f"w{i}" for i in range(20)]
    emb = Embeddings(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32))
    store = emb.save(tmp_path / "si")
    r = runner.invoke(cli, ["plot", "neighbors", str(store), "ගෙදර", "-o", str(tmp_path / "n.png"), "--topn", "3"])
    assert r.exit_code == 0, r.output
    assert "missing from" not in r.output and (tmp_path / "n.png").stat().st_size > 0
    if not _has_font_for("".join(words[:6])):
        assert "no installed font has the Sinhala" in r.output
