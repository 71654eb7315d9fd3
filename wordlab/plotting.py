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

Point labels (:func:`place_labels`) are placed when the figure draws, after its layout:
each at the first of several offsets around its point where it overlaps no label placed
before it and no other point, so the labels of a crowded plot stay readable.
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
                if getattr(self, "_label_jobs", None):
                    engine = self.get_layout_engine()
                    if engine is not None:       # the axes' final size first: labels are placed in pixels
                        engine.execute(self)
                    for job in self._label_jobs:
                        _place(job, renderer)
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
    chosen = _cover(missing)
    if sum(len(c) for _, c in chosen) < len(missing) and _add_fonts_installed_since_cache():
        chosen = _cover(missing)
    return chosen


def _add_fonts_installed_since_cache() -> bool:
    """Give matplotlib the system fonts installed after it wrote its font list (it reads
    the fonts once, into its cache directory, so a font installed later is not seen
    until that file is deleted); True when one was added."""
    from matplotlib import font_manager
    known = {f.fname for f in font_manager.fontManager.ttflist}
    added = False
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):      # a file FreeType cannot read: not a font for us
                continue
            added = True
    return added


def _cover(missing: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    """The greedy cover of :func:`_fonts_for` over the fonts matplotlib knows now."""
    from matplotlib import font_manager
    left = set(missing)
    chosen: list[tuple[str, frozenset[str]]] = []
    # Last Resort (shipped with matplotlib) maps every code point to a placeholder glyph
    candidates = sorted({(f.name, f.fname) for f in font_manager.fontManager.ttflist
                         if f.style == "normal" and f.weight in (400, "normal", "regular")
                         and not f.name.startswith("Last Resort")},
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


# -- point labels that do not overlap ------------------------------------------------------------
#: Offsets tried around a point, in points, with the text's alignment: the four
#: diagonals, above and below, then the same farther out.
_OFFSETS = [(dx * r, dy * r, ha, va) for r in (1, 2.5, 4.5)
            for dx, dy, ha, va in ((3, 3, "left", "bottom"), (3, -3, "left", "top"), (-3, 3, "right", "bottom"),
                                   (-3, -3, "right", "top"), (0, 5, "center", "bottom"), (0, -5, "center", "top"))]


def place_labels(ax, xy, labels: Iterable[str], styles: Iterable[dict] | None = None) -> list:
    """Label each point ``xy[i]`` (data coordinates) of ``ax`` with ``labels[i]``.

    The labels are annotations with ``styles[i]`` (keyword arguments of ``annotate``:
    fontsize, color, weight...); when the figure draws (a :class:`LabFigure`), each is
    moved, in order, to the first offset around its point where its text overlaps no
    label placed before it and no other point (or, failing that, where it overlaps
    least). Put the important labels first. Returns the annotations."""
    import numpy as np
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    labels = [str(label) for label in labels]
    styles = [dict(s) for s in styles] if styles is not None else [{} for _ in labels]
    anns = []
    for (x, y), label, style in zip(xy, labels, styles):
        style.setdefault("fontsize", 9)
        ann = ax.annotate(label, (x, y), xytext=(3, 3), textcoords="offset points", ha="left", va="bottom",
                          **style)
        ann.set_in_layout(False)          # placed after the layout, within the margins it left
        anns.append(ann)
    fig = ax.figure
    if not hasattr(fig, "_label_jobs"):
        fig._label_jobs = []
    fig._label_jobs.append((ax, xy, anns))
    return anns


def _place(job, renderer) -> None:
    """Greedy placement of one :func:`place_labels` call (see there)."""
    ax, xy, anns = job
    points = ax.transData.transform(xy)                          # pixels
    pad = 1.5 * renderer.points_to_pixels(1.0)
    placed: list[tuple[float, float, float, float]] = []
    for i, ann in enumerate(anns):
        best, best_cost = None, None
        for dx, dy, ha, va in _OFFSETS:
            ann.xyann = (dx, dy)
            ann.set_horizontalalignment(ha)
            ann.set_verticalalignment(va)
            b = ann.get_window_extent(renderer)
            box = (b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad)
            overlap = sum(max(0.0, min(box[2], q[2]) - max(box[0], q[0]))
                          * max(0.0, min(box[3], q[3]) - max(box[1], q[1])) for q in placed)
            inside = ((points[:, 0] > box[0]) & (points[:, 0] < box[2])
                      & (points[:, 1] > box[1]) & (points[:, 1] < box[3]))
            inside[i] = False
            cost = (overlap, int(inside.sum()))
            if best_cost is None or cost < best_cost:
                best, best_cost = (dx, dy, ha, va, box), cost
            if cost == (0.0, 0):
                break
        dx, dy, ha, va, box = best
        ann.xyann = (dx, dy)
        ann.set_horizontalalignment(ha)
        ann.set_verticalalignment(va)
        placed.append(box)


def label_overlaps(fig) -> int:
    """Pairs of :func:`place_labels` labels of ``fig`` whose texts overlap when drawn
    (drawn here on an Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [ann.get_window_extent(renderer) for _, _, anns in getattr(fig, "_label_jobs", []) for ann in anns]
    return sum(1 for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j]))
