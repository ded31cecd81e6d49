"""Pictures of a training run for the HTML report: loss, w and b over the steps, as PNG bytes.

Figures are drawn on an Agg canvas of their own rather than through pyplot, so rendering a report
never switches the process's matplotlib backend or leaves figures open in pyplot's global state.
"""
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# The result carries the runs but not the rubric's target; the text report states the same values.
TARGETS = {"w": 0.5, "b": 2.0}
DPI = 120
RUN_COLOUR = "#1f5fa8"
TARGET_COLOUR = "#555555"
MEAN_WINDOW = 100  # steps: one pass over the 100 samples of the homework's training set


def has_steps(training):
    """Whether a run has anything to draw: None is no run, empty losses a run that stopped at once."""
    return training is not None and len(training.losses) > 0


_shared = {}  # (id of a run, title) -> (the run, kept alive so its id is not reused, its PNG)


def training_png(training, title, shared=False):
    """The loss curve and the w and b trajectories of one run, stacked, as PNG bytes; None when
    the run has no step to draw (the report says so in words instead). A `shared` run (the
    reference's, the same object in every report of a batch) is drawn once."""
    if not has_steps(training):
        return None
    if not shared:
        return draw_training(training, title)
    key = (id(training), title)
    if key not in _shared:
        _shared[key] = (training, draw_training(training, title))
    return _shared[key][1]


def draw_training(training, title):
    # fixed margins rather than the constrained layout, which doubles the drawing time of a report
    figure = Figure(figsize=(4.8, 7.2), dpi=DPI)
    figure.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.07, hspace=0.32)
    loss_axes, w_axes, b_axes = figure.subplots(3, 1, sharex=True)
    draw_loss(loss_axes, training.losses)
    draw_trajectory(w_axes, "w", training.ws)
    draw_trajectory(b_axes, "b", training.bs)
    b_axes.set_xlabel("step")
    figure.suptitle(title)
    return png_bytes(figure)


def draw_loss(axes, losses):
    values = finite_or_nan(losses)
    # One sample per step makes the raw loss a band of noise; its running mean shows the trend.
    axes.plot(log10(values), color=RUN_COLOUR, linewidth=0.5, alpha=0.3, label="each step")
    axes.plot(log10(running_mean(values, MEAN_WINDOW)), color=RUN_COLOUR, linewidth=1.4,
              label=f"mean of the last {MEAN_WINDOW}")
    # The loss spans decades, so it is drawn as powers of ten; as exponents on a linear axis rather
    # than on matplotlib's log axis, whose limits and ticks overflow at a diverging run's 1e300.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda exponent, _: f"$10^{{{exponent:g}}}$"))
    axes.set_title("loss", fontsize="medium")
    axes.legend(loc="best", fontsize="small")
    axes.grid(True, alpha=0.3)


def log10(values):
    """log10 of the positive values, nan elsewhere (a gap in the line)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return finite_or_nan(np.log10(values))


def running_mean(values, window):
    """Mean of the last `window` values at each step (of all of them, in the first steps)."""
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.convolve(values, np.ones(window))[:len(values)]
    return sums / np.minimum(np.arange(1, len(values) + 1), window)


def draw_trajectory(axes, name, values):
    target = TARGETS[name]
    axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label=f"target {name} = {target:g}")
    if len(values) == 0:
        axes.text(0.5, 0.5, f"{name} was not recorded", transform=axes.transAxes, ha="center", va="center")
        axes.set_title(name, fontsize="medium")
        return
    axes.plot(finite_or_nan(values), color=RUN_COLOUR, linewidth=1.2, label=name)
    axes.set_title(f"{name}: ends at {float(values[-1]):.4g}", fontsize="medium")
    axes.legend(loc="best", fontsize="small")
    axes.grid(True, alpha=0.3)


def finite_or_nan(values):
    """A diverged run holds inf and nan: as nan they are gaps in the line, not broken axis limits."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)


def png_bytes(figure):
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
