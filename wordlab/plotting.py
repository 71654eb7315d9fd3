"""What every figure of wordlab starts from (the evaluation, alignment and debiasing
plots, and the general figures of :mod:`wordlab.evals.figures`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> "Figure":
    """A ``width`` x ``height`` inch figure with constrained layout.

    ``Figure()`` directly, not pyplot: no GUI backend, so it is safe in threads, on
    servers and in Jupyter (which displays a returned Figure)."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")
