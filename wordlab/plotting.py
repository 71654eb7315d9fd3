"""What every figure of wordlab starts from (the evaluation, alignment and debiasing
plots, and the general figures of :mod:`wordlab.evals.figures`): a figure whose labels
render in any script a font is installed for.

matplotlib draws every label in one font (DejaVu Sans by default), which has no Sinhala,
no Devanagari, no CJK: such labels become empty boxes, with a warning per glyph. Before a
:class:`LabFigure` draws (saved, or shown in Jupyter), :func:`fit_fonts` collects the
characters of its labels and, for those the default font lacks, picks installed fonts
that have them (matplotlib's font manager; the Noto families where installed, e.g.
Debian's ``fonts-noto-core``), which matplotlib then uses glyph by glyph after the
default. When no installed font has a script's characters, one
:class:`~wordlab.errors.WordlabWarning` says which script and what to install, instead
of matplotlib's warning per glyph.
"""
from __future__ import annotations

import functools
import unicodedata
import warnings
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: What to install when a script has no font (named in the warning).
FONT_HINT = "install a Noto font for it (Debian/Ubuntu: apt-get install fonts-noto-core; or from fonts.google.com/noto)"


def new_figure(width: float, height: float) -> "Figure":
    """A ``width`` x ``height`` inch :class:`LabFigure` with constrained layout.

    A ``Figure`` directly, not pyplot: no GUI backend, so it is safe in threads, on
    servers and in Jupyter (which displays a returned Figure)."""
    return _figure_class()(figsize=(width, height), layout="constrained")


@functools.lru_cache(maxsize=1)
def _figure_class():
    from matplotlib.figure import Figure

    class LabFigure(Figure):
        """A matplotlib Figure that fits its labels' fonts before it draws (see module docstring)."""

        def draw(self, renderer):
            fit_fonts(self)
            with warnings.catch_warnings():          # fit_fonts has said what cannot render, once
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
                return super().draw(renderer)
    return LabFigure


def fit_fonts(fig) -> list[str]:
    """Give every text of ``fig`` the font families its characters need (the default
    first); warn once for each script no installed font has. Returns the families."""
    from matplotlib.text import Text
    texts = fig.findobj(Text)
    chars = {c for t in texts for c in t.get_text() if ord(c) > 127 and not c.isspace()}
    if not chars:
        return []
    done = getattr(fig, "_fitted", None)
    if done is not None and done[0] == chars:      # drawn again (layout, then draw): warned once
        if len(done[1]) > 1:
            for t in texts:
                t.set_fontfamily(done[1])
        return done[1]
    default = _default_font()
    missing = {c for c in chars if ord(c) not in _charmap(default[1])}
    families = [default[0]]
    for name, covered in _fonts_for(frozenset(missing)):
        families.append(name)
        missing -= covered
    if len(families) > 1:
        for t in texts:
            t.set_fontfamily(families)
    if missing:
        _warn_missing(missing)
    fig._fitted = (chars, families)
    return families


def _warn_missing(chars: Iterable[str]) -> None:
    from .errors import WordlabWarning
    scripts = sorted({_script(c) for c in chars})
    warnings.warn(f"no installed font has the {', '.join(scripts)} characters of these labels "
                  f"({''.join(sorted(chars))[:12]}): they show as boxes; {FONT_HINT}", WordlabWarning, stacklevel=4)


def _script(c: str) -> str:
    """The script a character belongs to, as its Unicode name begins (SINHALA LETTER ... -> Sinhala)."""
    name = unicodedata.name(c, "")
    return name.split(" ")[0].title() if name else f"U+{ord(c):04X}"


@functools.lru_cache(maxsize=1)
def _default_font() -> tuple[str, str]:
    """(family name, file) of the font matplotlib uses for a label by default."""
    from matplotlib import font_manager
    path = font_manager.findfont(font_manager.FontProperties(), fallback_to_default=True)
    return font_manager.get_font(path).family_name, path


@functools.lru_cache(maxsize=None)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib import font_manager
    try:
        return frozenset(font_manager.get_font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


@functools.lru_cache(maxsize=64)
def _fonts_for(missing: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    """Installed fonts (family, characters of ``missing`` it has) that together cover as
    much of ``missing`` as they can: greedily, the font covering most first; regular
    sans-serif Noto faces are preferred among equals."""
    from matplotlib import font_manager
    left = set(missing)
    chosen: list[tuple[str, frozenset[str]]] = []
    candidates = sorted({(f.name, f.fname) for f in font_manager.fontManager.ttflist
                         if f.style == "normal" and f.weight in (400, "normal", "regular")},
                        key=lambda nf: (not nf[0].startswith("Noto Sans"), "Serif" in nf[0], nf[0]))
    while left:
        best, best_cover = None, frozenset()
        for name, path in candidates:
            if any(name == c for c, _ in chosen):
                continue
            cmap = _charmap(path)
            cover = frozenset(c for c in left if ord(c) in cmap)
            if len(cover) > len(best_cover):
                best, best_cover = name, cover
        if best is None:
            break
        chosen.append((best, best_cover))
        left -= best_cover
    return chosen
