"""What a check is: a scenario to run, what to observe in its records, and how to judge it.

Observations are ordered dicts {what was looked at, in words: value}, so that the same
object gives the verdict, the report's message and the comparison with the mutants.
"""

import math
from dataclasses import dataclass, field, replace

import numpy as np

from grader import wire
from grader.state import PLAIN_FLOATS, same
from grader.wire import Opaque, Raised


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-9

    def at_precision_of(self, *values):
        """Values computed in float32 (or float16) are compared at that precision: a few hundred
        units in the last place, never tighter than the rubric's tolerance."""
        resolution = coarsest_resolution(values)
        return self if resolution is None else self.at_least(256 * resolution)

    def of_differences_at_precision_of(self, *values):
        """Finite differences of float32 code are good to about the cube root of its resolution."""
        resolution = coarsest_resolution(values)
        return self if resolution is None else self.at_least(2 * resolution ** (1 / 3))

    def at_least(self, bound):
        return Tolerance(max(self.rtol, bound), max(self.atol, bound))


def coarsest_resolution(values):
    """The machine epsilon of the least precise float among the values, if it is coarser than float64's."""
    resolutions = [
        float(np.finfo(v.dtype).eps)
        for v in values
        if getattr(v, "dtype", None) is not None and v.dtype.kind == "f" and v.dtype.itemsize < 8
    ]
    return max(resolutions, default=None)


LOW_PRECISION = "f32."  # the scenario keys of finite differences for float32 code


def fd_steps(ctx):
    """The relative steps of finite differences: the rubric's, and for float32 code the cube root
    of its resolution (where a central difference is most accurate)."""
    return {"": ctx.fd_step, LOW_PRECISION: float(np.finfo(np.float32).eps) ** (1 / 3)}


def fd_precision(outputs):
    """Which steps to judge by: float32's when the code under test returns float32 (or coarser)."""
    return LOW_PRECISION if coarsest_resolution(outputs) else ""


@dataclass(frozen=True)
class Finding:
    """A yes/no observation with the numbers behind it: compared by its answer (and the kind of
    wrong, where there are several), shown with its detail."""

    ok: bool
    detail: str = field(default="", compare=False)
    kind: str = ""

    def __str__(self):
        return "yes" if self.ok else f"no: {self.detail}"


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    wrong: tuple = ()  # the observation's keys that were wrong (a check with aspects scores the others)


@dataclass
class Context:
    """Everything a check needs besides the code under test: inputs, tolerances, conventions."""

    inputs: "object"
    tolerance: Tolerance = field(default_factory=Tolerance)
    fd_tolerance: Tolerance = field(default_factory=lambda: Tolerance(1e-4, 1e-6))
    fd_step: float = 1e-6
    training: dict = field(default_factory=dict)
    seed: int = 0
    loss_order: tuple | None = None  # ("estimate", "target") as the student's own loop calls compute_loss
    reference: object = None  # runs scenarios on the reference: the replays of a student's own loop

    @classmethod
    def of(cls, rubric, inputs, seed, reference=None):
        """The rubric's context, on the inputs drawn from `seed`."""
        return cls(
            inputs=inputs,
            tolerance=rubric.tolerance,
            fd_tolerance=rubric.fd_tolerance,
            fd_step=rubric.fd_step,
            training=rubric.training,
            seed=seed,
            reference=reference,
        )

    def for_check(self, spec):
        """The context one check of the rubric is judged in: with its own tolerance, when it has one."""
        return replace(self, tolerance=spec.tolerance or self.tolerance)


class Check:
    id = ""
    subject = ""  # the method a failure points at, "Class.method"
    uses_mutants = True
    uses_reference = True
    aspects: dict = {}  # aspect id -> its observation key, for a check the rubric scores aspect by aspect
    calls_loss = False  # runs or judges compute_loss: needs to know which argument is the estimate
    stand_in: str | None = None  # a check whose records may be this one's (its `from_own_run` says when)
    # observe reads the numbers the scenario's objects hold after their calls (grader.state): when it
    # does not, the child leaves them out of its answer (tests/test_speed_guards.py holds each check to it)
    reads_state = True

    def scenario(self, ctx: Context) -> list[dict]:
        """The ops to run (grader.ops), the same for the student, the reference and the mutants."""
        raise NotImplementedError

    def observe(self, records: dict, ctx: Context) -> dict:
        """What the records show, in words: {what was looked at: value}."""
        raise NotImplementedError

    def verdict(self, student: dict, reference: dict | None, ctx: Context) -> Verdict:
        return compare(student, reference, ctx.tolerance)

    def same_bug(self, student: dict, mutant: dict, reference: dict, ctx: Context) -> bool:
        """The student shows the mutant's symptoms: wherever the mutant departs from the reference."""
        symptoms = [key for key in reference if not agree(mutant.get(key), reference[key], ctx.tolerance)]
        return bool(symptoms) and all(agree(student.get(key), mutant.get(key), ctx.tolerance) for key in symptoms)


def compare(student, reference, tolerance, rescued_by=None):
    """The verdict of an observation against the reference's. `rescued_by`: {key: evidence key}: a
    wrong key passes when its evidence is right, and evidence never fails on its own."""
    rescued_by = rescued_by or {}
    evidence = set(rescued_by.values())

    def right(key):
        return key in reference and agree(student.get(key), reference[key], tolerance)

    wrong = [
        key
        for key in reference
        if key not in evidence and not right(key) and not (key in rescued_by and right(rescued_by[key]))
    ]
    if not wrong:
        return Verdict(True)
    key = wrong[0]
    more = f" (and {len(wrong) - 1} more case{'s' if len(wrong) > 2 else ''})" if len(wrong) > 1 else ""
    return Verdict(False, f"{key}: expected {show(reference[key])}, got {show(student.get(key))}{more}", tuple(wrong))


def finite_difference_verdict(observation, reference, ctx, source, varies):
    """Observations made of (gradient, finite difference) pairs: each pair must agree. `varies`:
    {variable: the key prefix of its differences}: where the reference's differences in a variable
    are not all 0, a function whose differences are 0 in every case ignores the variable, and 0 = 0
    shows nothing about a gradient (a stub that returns 0 everywhere, a forward without its w)."""
    flat = [
        name for name, prefix in varies.items() if all_zero(observation, prefix) and not all_zero(reference, prefix)
    ]
    if flat:
        return Verdict(
            False,
            f"the finite differences {source} in {flat[0]} are 0 in every case: it does "
            f"not depend on {flat[0]}, so they leave nothing to compare the gradient with",
        )
    keys = list(observation)
    for gradient_key, fd_key in zip(keys[::2], keys[1::2]):
        gradient, fd = observation[gradient_key], observation[fd_key]
        errors = [v for v in (gradient, fd) if isinstance(v, Raised)]
        if errors:
            return Verdict(False, f"{gradient_key}: {show(errors[0])}")
        if not (is_numeric(fd) and np.all(np.isfinite(fd))):  # nan = nan says nothing about a derivative
            return Verdict(
                False,
                f"{gradient_key}: no finite difference {source} can be taken: it gives {show(fd)}, not a finite number",
            )
        if not agree(gradient, fd, ctx.fd_tolerance.of_differences_at_precision_of(gradient, fd)):
            return Verdict(
                False, f"{gradient_key} is {show(gradient)}, but the finite difference {source} gives {show(fd)}"
            )
    return Verdict(True)


def all_zero(observation, prefix):
    """Whether every value under keys starting with `prefix` is a number, and 0 (there is one at least)."""
    values = [v for key, v in observation.items() if key.startswith(prefix)]
    return bool(values) and all(is_numeric(v) and not np.any(v) for v in values)


def agree(a, b, tolerance):
    """Whether two observed values are the same; always a plain bool, whatever the values."""
    if type(a) in PLAIN_FLOATS and type(b) in PLAIN_FLOATS:  # two doubles, most of the time: no array made
        return close(float(a), float(b), tolerance)
    if isinstance(a, Raised) or isinstance(b, Raised):
        return isinstance(a, Raised) and isinstance(b, Raised) and a.same_failure(b)
    if not (is_numeric(a) and is_numeric(b)):
        return same_non_number(a, b)
    tolerance = tolerance.at_precision_of(a, b)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if {a.shape, b.shape} == {(), (1,)}:  # an array of one element (w kept as np.array([w])) for a number
        a, b = a.reshape(()), b.reshape(())
    if a.shape == b.shape == ():
        return close(float(a), float(b), tolerance)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True))


def close(a, b, tolerance):
    """np.allclose's own test on two floats, without its cost (most values are single numbers)."""
    if math.isfinite(a) and math.isfinite(b):
        return abs(a - b) <= tolerance.atol + tolerance.rtol * abs(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def same_non_number(a, b):
    """Words, findings and values that are not numbers (an Opaque never equals anything: it is
    a value the code should not have returned, shown but not compared)."""
    if isinstance(a, Opaque) or isinstance(b, Opaque) or is_numeric(a) or is_numeric(b):
        return False
    return type(a) is type(b) and bool(a == b)


def central_difference(plus, minus, h):
    """(f(x+h) − f(x−h)) / 2h; when either side is not a number (an error), that value instead."""
    not_numbers = [v for v in (plus, minus) if not is_numeric(v)]
    if not_numbers:
        return not_numbers[0]
    with np.errstate(over="ignore", invalid="ignore"):  # inf − inf is nan: a difference of nothing
        return (plus - minus) / (2 * h)


def is_numeric(value):
    return isinstance(value, (np.floating, float, int)) or isinstance(value, np.ndarray) and value.dtype.kind in "iuf"


def show(value):
    if value is None:
        return "nothing"
    if isinstance(value, Raised):
        where = f" (line {value.line})" if value.line else ""
        return f"an error, {value}{where}"
    if isinstance(value, np.ndarray) and value.ndim:
        return f"array of shape {value.shape} " + np.array2string(value, precision=6, separator=", ", threshold=12)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def num(x):
    """An input as the report prints it."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}"
    return f"{x:.4g}"


# reading records


def value(records, key):
    return wire.decode(records[key]["value"])


def state_after(records, key):
    """The numbers the op's object held after it ran (the record of a new, call or state op)."""
    return {name: wire.decode(v) for name, v in records[key].get("state", {}).items()}


def changed(records, before_key, after_key):
    """The numbers of an object that one call set or changed: {path: value after it}."""
    before, after = state_after(records, before_key), state_after(records, after_key)
    return {k: v for k, v in after.items() if k not in before or not same(before[k], v)}


def first_error(records, *keys):
    """The first error among the given calls, in order: the cause; the errors after it are its
    consequences (a step that fails because backward failed says nothing about step)."""
    errors = [v for v in (value(records, key) for key in keys) if isinstance(v, Raised)]
    return errors[0] if errors else None


def raised_in(observation):
    return [v for v in observation.values() if isinstance(v, Raised)]
