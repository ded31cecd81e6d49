"""Pictures of a training run: loss, w and b over the steps, stacked, as an SVG document.

Drawn as SVG from the numbers rather than through matplotlib: a figure of a 5000-step run costs
a few milliseconds instead of the tenth of a second matplotlib spent on its axes, ticks and PNG
(most of a batch's time, for a picture the TA may never open), stays sharp at any zoom, and is
pure markup: no script, nothing fetched. Each line keeps, per pixel column, the lowest and highest
of its points there, so it looks as the full line would at that resolution.
"""

import hashlib
from html import escape

import numpy as np

RUN_COLOUR = "#1f5fa8"
TARGET_COLOUR = "#555555"
GRID_COLOUR = "#e4e4e4"
MEAN_WINDOW = 100  # steps: one pass over the 100 samples of the homework's training set
WIDTH, PANEL_HEIGHT = 480, 200
LEFT, RIGHT, TOP, PANEL_GAP, BOTTOM = 68, 12, 50, 46, 40  # pixels around the plotting areas
HEIGHT = TOP + 3 * PANEL_HEIGHT + 2 * PANEL_GAP + BOTTOM
MARGIN = 0.05  # of the data's span, left free above and below it
FONT = 'font-family="system-ui, sans-serif" font-size="12" fill="#1b1b1b"'


def has_steps(training):
    """Whether a run has anything to draw: None is no run, empty losses a run that stopped at once."""
    return training is not None and len(training.losses) > 0


def runs(result):
    """(label, run) of the runs a report shows: the student's, then the reference's."""
    return [("Your classes", result.training), ("The reference solution", result.reference_training)]


def run_svgs(result):
    """(label, SVG document) of the runs that have steps to draw."""
    drawn = ((label, training_svg(run, label)) for label, run in runs(result))
    return [(label, svg) for label, svg in drawn if svg is not None]


_recent: dict = {}  # (a digest of a run's numbers, title) -> its SVG
RECENT = 4  # enough for the reference's run, in every report of a batch, and a correct student's, the same


def training_svg(training, title):
    """The loss curve and the w and b trajectories of one run, stacked, as an SVG document; None
    when the run has no step to draw (the reports say so in words instead)."""
    if not has_steps(training):
        return None
    key = (numbers_digest(training), title)
    if key not in _recent:
        while len(_recent) >= RECENT:
            del _recent[next(iter(_recent))]
        _recent[key] = drawing(training, title)
    return _recent[key]


def numbers_digest(training):
    """A digest of what a drawing of the run shows: two runs with the same numbers draw the same."""
    digest = hashlib.blake2b(digest_size=16)
    for values in (training.losses, training.ws, training.bs, [training.target["w"], training.target["b"]]):
        digest.update(len(values).to_bytes(8, "little"))
        digest.update(np.asarray(values, dtype=float).tobytes())
    return digest.digest()


def drawing(training, title):
    steps = len(training.losses)
    panels = [
        loss_panel(training.losses),
        trajectory_panel("w", training.ws, training.target["w"]),
        trajectory_panel("b", training.bs, training.target["b"]),
    ]
    x_axis = Axis(0, max(steps - 1, 1), LEFT, WIDTH - RIGHT, integers=True)
    parts = [f'<text x="{WIDTH / 2:g}" y="20" text-anchor="middle" font-weight="bold">{escape(title)}</text>']
    for index, panel in enumerate(panels):
        top = TOP + index * (PANEL_HEIGHT + PANEL_GAP)
        parts += panel.draw(x_axis, top, last=index == len(panels) - 1)
    return document(WIDTH, HEIGHT, f"{title}: loss, w and b over {steps} steps", parts)


def document(width, height, label, parts):
    """An SVG document of the given parts, named `label` for screen readers and as its title."""
    label = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}" {FONT}>\n<title>{label}</title>\n'
        + "\n".join(parts)
        + "\n</svg>"
    )


class Panel:
    """One panel: its title, lines (values per step, each with its stroke attributes), dashed levels
    and a note shown when there is nothing to draw; `exponents`: the values are powers of ten."""

    def __init__(self, title, lines, levels=(), note=None, exponents=False):
        self.title, self.lines, self.levels, self.note, self.exponents = title, lines, levels, note, exponents

    def draw(self, x_axis, top, last):
        finite = [values[np.isfinite(values)] for values, _ in self.lines] + [np.array(self.levels, dtype=float)]
        y_axis = Axis(*value_limits(np.concatenate(finite)), top + PANEL_HEIGHT, top, integers=self.exponents)
        parts = [
            f'<text x="{LEFT}" y="{top - 12}">{escape(self.title)}</text>',
            *frame(x_axis, y_axis, "step" if last else None, power_of_ten if self.exponents else tick_label),
        ]
        for level in self.levels:
            y = y_axis.pixel(level)
            parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{TARGET_COLOUR}" '
                'stroke-dasharray="5 4"/>'
            )
        for values, stroke in self.lines:
            path = line_path(values, x_axis, y_axis)
            if path:
                parts.append(f'<path d="{path}" fill="none" {stroke}/>')
        if self.note and not any(np.isfinite(values).any() for values, _ in self.lines):
            parts.append(
                f'<text x="{(LEFT + WIDTH - RIGHT) / 2:g}" y="{top + PANEL_HEIGHT / 2:g}" '
                f'text-anchor="middle">{escape(self.note)}</text>'
            )
        return parts


def frame(x_axis, y_axis, x_title=None, y_label=None):
    """A plotting area's box and its grid at round values with their labels: the x ones (and the
    title below them) only when `x_title` is given; `y_label` writes a y value (default tick_label)."""
    left, right, bottom, top = x_axis.start, x_axis.end, y_axis.start, y_axis.end
    parts = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>']
    for tick in x_axis.ticks():
        x = x_axis.pixel(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID_COLOUR}"/>')
        if x_title:
            parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick_label(tick)}</text>')
    for tick in y_axis.ticks():
        y = y_axis.pixel(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        label = (y_label or tick_label)(tick)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    if x_title:
        parts.append(
            f'<text x="{(left + right) / 2:g}" y="{bottom + 34}" text-anchor="middle">{escape(x_title)}</text>'
        )
    return parts


def histogram_svg(bins, total):
    """Bars of [(low, high, count)] over the scores 0..total, as an SVG document."""
    width, height = 600, 260
    x_axis = Axis(0, total, LEFT, width - RIGHT)
    most = max([count for _, _, count in bins] + [1])
    y_axis = Axis(0, most * 1.05, height - BOTTOM, RIGHT, integers=True)
    bars = [
        f'<rect x="{x_axis.pixel(low) + 0.5:.1f}" y="{y_axis.pixel(count):.1f}" '
        f'width="{x_axis.pixel(high) - x_axis.pixel(low) - 1:.1f}" '
        f'height="{y_axis.start - y_axis.pixel(count):.1f}" fill="{RUN_COLOUR}"/>'
        for low, high, count in bins
        if count
    ]
    y_title = (
        f'<text x="14" y="{height / 2 - 20:g}" transform="rotate(-90 14 {height / 2 - 20:g})" '
        'text-anchor="middle">students</text>'
    )
    return document(width, height, "histogram of the scores", frame(x_axis, y_axis, "score") + bars + [y_title])


def loss_panel(losses):
    """One sample per step makes the raw loss a band of noise; its running mean shows the trend. The
    loss spans decades, so it is drawn as powers of ten."""
    values = finite_or_nan(losses)
    return Panel(
        f"loss: each step (pale), mean of the last {MEAN_WINDOW} (dark)",
        [
            (log10(values), f'stroke="{RUN_COLOUR}" stroke-width="0.5" stroke-opacity="0.3"'),
            (log10(running_mean(values, MEAN_WINDOW)), f'stroke="{RUN_COLOUR}" stroke-width="1.4"'),
        ],
        exponents=True,
    )


def trajectory_panel(name, values, target):
    """One parameter after each step, and its target as a dashed line."""
    ends = f"ends at {float(values[-1]):.4g}, " if len(values) else ""
    return Panel(
        f"{name}: {ends}target {target:g} (dashed)",
        [(finite_or_nan(values), f'stroke="{RUN_COLOUR}" stroke-width="1.2"')],
        levels=[target],
        note=f"{name} was not recorded",
    )


class Axis:
    """A linear map from values in [low, high] to pixels in [start, end] (end < start: upwards). Its
    arithmetic is on halves, so that limits near the largest float do not overflow."""

    def __init__(self, low, high, start, end, integers=False):
        self.low, self.high, self.start, self.end, self.integers = low, high, start, end, integers
        self.half_span = high / 2 - low / 2

    def pixel(self, value):
        return self.start + (value / 2 - self.low / 2) / self.half_span * (self.end - self.start)

    def ticks(self, count=5):
        """About `count` round values inside the limits (1, 2, 2.5 or 5 times a power of ten apart)."""
        raw = self.half_span / count * 2
        power = 10.0 ** np.floor(np.log10(raw))
        step = next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= raw)
        if self.integers:
            step = max(1.0, np.ceil(step))
        return [float(k * step) for k in np.arange(np.ceil(self.low / step), np.floor(self.high / step) + 1)]


def value_limits(finite):
    """Limits that fit the finite values with a margin; (0, 1) when there are none."""
    if not len(finite):
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    half_span = high / 2 - low / 2
    if half_span <= 1e-12 * max(abs(low), abs(high), 1.0):  # one value: a band around it
        half_span = max(abs(low) * 0.05, 0.5) / (2 * MARGIN)
    largest = np.finfo(float).max
    return max(low - 2 * MARGIN * half_span, -largest), min(high + 2 * MARGIN * half_span, largest)


def line_path(values, x_axis, y_axis):
    """SVG path data of the finite values over their steps: a gap where values are nan or infinite."""
    finite = np.isfinite(values)
    drawn = envelope(values, int(x_axis.end - x_axis.start))
    drawn = drawn[finite[drawn]]
    if not len(drawn):
        return ""
    broken = np.concatenate([[0], np.cumsum(~finite)])  # broken[i]: how many values before step i are not finite
    starts = np.ones(len(drawn), dtype=bool)  # a point after a gap starts a new piece of the line
    starts[1:] = broken[drawn[1:]] > broken[drawn[:-1] + 1]
    xs, ys = x_axis.pixel(drawn.astype(float)), y_axis.pixel(values[drawn])
    # as Python's own floats: formatted twice as fast as numpy's, to the same text
    return " ".join(f"{'M' if start else 'L'}{x:.1f} {y:.1f}" for start, x, y in zip(starts, xs.tolist(), ys.tolist()))


def envelope(values, columns):
    """Indices of the values to draw, in order: per column of pixels, its lowest and highest finite
    values, and the first and last of all (every index when there are few)."""
    n = len(values)
    if n <= 2 * columns:
        return np.arange(n)
    first = np.searchsorted(np.arange(n) * columns // n, np.arange(columns))  # where each column begins
    finite = np.isfinite(values)
    steps = np.arange(n)
    lengths = np.diff(np.append(first, n))
    lowest = np.where(finite, values, np.inf)
    at_lowest = lowest == np.repeat(np.minimum.reduceat(lowest, first), lengths)
    highest = np.where(finite, values, -np.inf)
    at_highest = highest == np.repeat(np.maximum.reduceat(highest, first), lengths)
    kept = [
        [0, n - 1],
        np.minimum.reduceat(np.where(at_lowest, steps, n), first),
        np.maximum.reduceat(np.where(at_highest, steps, -1), first),
    ]
    return np.unique(np.concatenate(kept))


def tick_label(value):
    return f"{round(value, 10) + 0.0:.4g}".replace("e+", "e")  # + 0.0: no "-0"


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent):
    return "10" + f"{int(exponent)}".translate(SUPERSCRIPTS)


def log10(values):
    """log10 of the positive values, nan elsewhere (a gap in the line)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return finite_or_nan(np.log10(values))


def running_mean(values, window):
    """Mean of the last `window` values at each step (of all of them, in the first steps)."""
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.convolve(values, np.ones(window))[: len(values)]
    return sums / np.minimum(np.arange(1, len(values) + 1), window)


def finite_or_nan(values):
    """A diverged run holds inf and nan: as nan they are gaps in the line, not broken axis limits."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)
