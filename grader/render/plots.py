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


def runs(result):
    """(label, run, shared) of the runs a report shows: the student's, then the reference's (the same
    object for every submission of a batch, so drawn once)."""
    return [("Your classes", result.training, False), ("The reference solution", result.reference_training, True)]


def run_pngs(result):
    """(label, PNG bytes) of the runs that have steps to draw."""
    drawn = ((label, training_png(run, label, shared)) for label, run, shared in runs(result))
    return [(label, png) for label, png in drawn if png is not None]


_shared = {}  # (id of a run, title) -> (the run, kept alive so its id is not reused, its PNG)


def training_png(training, title, shared=False):
    """The loss curve and the w and b trajectories of one run, stacked, as PNG bytes; None when
    the run has no step to draw (the report says so in words instead). A `shared` run (the
    reference's, the same object in every report of a batch) is drawn once."""
    if not has_steps(training):
        return None
    if not shared:
        return TrainingFigure.reused().png(training, title)
    key = (id(training), title)
    if key not in _shared:
        _shared[key] = (training, TrainingFigure.reused().png(training, title))
    return _shared[key][1]


class TrainingFigure:
    """The three panels, built once per process and given each run's data in turn: making the
    axes, their ticks and texts costs more than drawing them, and a batch draws a run per student."""

    _reused = None

    @classmethod
    def reused(cls):
        if cls._reused is None:
            cls._reused = cls()
        return cls._reused

    def __init__(self):
        self.figure = Figure(figsize=(4.8, 7.2), dpi=DPI)
        FigureCanvasAgg(self.figure)
        # fixed margins rather than the constrained layout, which doubles the drawing time
        self.figure.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.07, hspace=0.32)
        loss_axes, w_axes, b_axes = self.figure.subplots(3, 1, sharex=True)
        self.loss = Loss(loss_axes)
        self.trajectories = [Trajectory(w_axes, "w"), Trajectory(b_axes, "b")]
        b_axes.set_xlabel("step")

    def png(self, training, title):
        self.loss.show(training.losses)
        for trajectory, values in zip(self.trajectories, (training.ws, training.bs)):
            trajectory.show(values)
        self.figure.suptitle(title)
        buffer = io.BytesIO()
        # zlib's level 3 rather than 6: a third less encoding time for 5% more bytes
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 3})
        return buffer.getvalue()


class Loss:
    """The loss panel. One sample per step makes the raw loss a band of noise; its running mean
    shows the trend. The loss spans decades, so it is drawn as powers of ten: as exponents on a
    linear axis rather than on matplotlib's log axis, whose limits and ticks overflow at a diverging
    run's 1e300."""

    def __init__(self, axes):
        self.axes = axes
        self.each_step, = axes.plot([], [], color=RUN_COLOUR, linewidth=0.5, alpha=0.3)
        self.mean, = axes.plot([], [], color=RUN_COLOUR, linewidth=1.4)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
        # the lines are told apart in the title: a legend placed clear of the data costs a third
        # of the drawing time
        set_title(axes, f"loss: each step (pale), mean of the last {MEAN_WINDOW} (dark)")
        axes.grid(True, alpha=0.3)

    def show(self, losses):
        values = finite_or_nan(losses)
        steps = np.arange(len(values))
        self.each_step.set_data(steps, log10(values))
        self.mean.set_data(steps, log10(running_mean(values, MEAN_WINDOW)))
        rescale(self.axes)


class Trajectory:
    """One parameter's panel: its value after each step, and its target as a dashed line."""

    def __init__(self, axes, name):
        self.axes, self.name, self.target = axes, name, TARGETS[name]
        axes.axhline(self.target, color=TARGET_COLOUR, linestyle="--", linewidth=1)
        self.line, = axes.plot([], [], color=RUN_COLOUR, linewidth=1.2)
        self.missing = axes.text(0.5, 0.5, f"{name} was not recorded", transform=axes.transAxes,
                                 ha="center", va="center")
        axes.grid(True, alpha=0.3)

    def show(self, values):
        recorded = len(values) > 0
        self.line.set_data(np.arange(len(values)), finite_or_nan(values))
        self.missing.set_visible(not recorded)
        ends = f"ends at {float(values[-1]):.4g}, " if recorded else ""
        set_title(self.axes, f"{self.name}: {ends}target {self.target:g} (dashed)")
        rescale(self.axes)


def rescale(axes):
    """Limits that fit the data now shown. With nothing finite to show, matplotlib keeps the limits
    it had: those are first set to the same (0, 1) for every run, so no run shows the previous one's."""
    axes.set_xlim(0, 1, auto=True)
    axes.set_ylim(0, 1, auto=True)
    axes.relim()
    axes.autoscale_view()


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent, _position):
    # Unicode superscripts rather than mathtext, whose parsing was a third of a figure's time
    return "10" + f"{int(exponent)}".translate(SUPERSCRIPTS)


def set_title(axes, text):
    # a fixed height (y given) spares matplotlib the search for a place clear of the tick labels,
    # which was half of a figure's drawing time; nothing is drawn above these axes' tops
    axes.set_title(text, fontsize="medium", y=1.0)


def log10(values):
    """log10 of the positive values, nan elsewhere (a gap in the line)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return finite_or_nan(np.log10(values))


def running_mean(values, window):
    """Mean of the last `window` values at each step (of all of them, in the first steps)."""
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.convolve(values, np.ones(window))[:len(values)]
    return sums / np.minimum(np.arange(1, len(values) + 1), window)


def finite_or_nan(values):
    """A diverged run holds inf and nan: as nan they are gaps in the line, not broken axis limits."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)
