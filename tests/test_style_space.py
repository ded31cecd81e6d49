"""The grader against a space of generated submissions (tests/style_space.py): every correct
style gets full marks with no diagnosis, and every style with one injected bug loses points and
is never given another bug's name.

Examples per test come from STYLE_SPACE_EXAMPLES (default: 10 for the correct styles, 2 per bug
id, so that `make test` stays fast); STYLE_SPACE_EXAMPLES=200 is the exhaustive run.
"""

import contextlib
import io
import itertools
import os
import tempfile
import zlib

import pytest
from hypothesis import HealthCheck, given, seed, settings

from helpers import diagnosis_ids, grade, summary, write_submission
from style_space import (
    BUGS,
    DTYPES,
    LOOPS,
    LOSS_NAMES,
    RETURNS_WITH_LISTS,
    RETURNS_WITHOUT_LISTS,
    STATES,
    Style,
    source,
    styles,
    trained,
)

pytestmark = pytest.mark.slow  # generated styles, each graded


def examples(default):
    value = os.environ.get("STYLE_SPACE_EXAMPLES")
    return int(value) if value else default


def budget(default):
    return settings(
        max_examples=examples(default),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def grade_source(text):
    with tempfile.TemporaryDirectory(prefix="style-space-") as directory:
        return grade(write_submission(directory, text))


def explain(result, style, text):
    return f"{summary(result)}\nstyle: {style.describe()}\n--- source ---\n{text}"


@budget(10)
@given(styles())
def test_every_correct_style_gets_full_marks(style):
    text = source(style)
    result = grade_source(text)
    assert result.score == result.max_score and diagnosis_ids(result) == [], explain(result, style, text)


# where the names say the opposite of what the code does (the 2019 hand-out's y for the estimate),
# a swapped call in the loop reads as a gradient of the wrong sign, and the other way round: by
# the names, which a TA reads too, each is the other
TWINS = {"loss-grad-sign": "loop-loss-args", "loop-loss-args": "loss-grad-sign"}
MISLEADING_NAMES = LOSS_NAMES.index(("y", "y_est"))


def names_allowed(bug, style):
    return {bug} | ({TWINS[bug]} if bug in TWINS and style.loss_names == MISLEADING_NAMES else set())


@pytest.mark.parametrize("bug", BUGS)
def test_one_injected_bug_is_never_full_marks_and_never_misnamed(bug):
    @budget(2)
    @seed(zlib.crc32(bug.encode()))  # each bug id sees styles of its own, the same at every run
    @given(styles())
    def graded_with_the_bug(style):
        text = source(style, bug)
        result = grade_source(text)
        others = [d for d in diagnosis_ids(result) if d not in names_allowed(bug, style)]
        assert others == [], f"injected {bug}, named {others}\n" + explain(result, style, text)
        assert result.score < result.max_score, f"injected {bug}, full marks\n" + explain(result, style, text)

    graded_with_the_bug()


def spread_styles():
    """Every state x dtype x composition loop, the other choices cycling through their values."""
    for n, (state, dtype, loops) in enumerate(itertools.product(STATES, DTYPES, LOOPS)):
        keep_lists = n % 2 == 0
        yield Style(
            state=state,
            dtype=dtype,
            loops=loops,
            loss_names=n % 5,
            estimate_first=n % 3 != 0,
            keyword_call=n % 4 < 2,
            grad_form=n % 3,
            keep_lists=keep_lists,
            returns=(RETURNS_WITH_LISTS if keep_lists else RETURNS_WITHOUT_LISTS)[n // 2 % 2],
            progress=n % 7 == 0,
            exp_cache=("output", "input")[n // 3 % 2],
            grads_in_init=n % 5 < 2,
            layer_refs=n % 6 < 3,
            train_loop=("for", "while")[n // 5 % 2],
        )


def test_every_bug_id_has_an_injection_that_changes_every_style():
    for style in spread_styles():
        correct = source(style)
        compile(correct, style.describe(), "exec")
        for bug in BUGS:
            buggy = source(style, bug)
            assert buggy != correct, f"{bug} changes nothing in {style.describe()}"
            compile(buggy, f"{bug} in {style.describe()}", "exec")
    with pytest.raises(ValueError):
        source(Style(), "no-such-bug")


@budget(10)
@given(styles())
def test_every_correct_style_trains_to_the_target_in_its_own_train(style):
    """The ground truth itself: a generated correct file, run directly (it is our own code), ends
    where the reference does."""
    namespace = {"__name__": "style_space_submission"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source(style), "<style>", "exec"), namespace)
        w, b = trained(style, namespace)
    assert abs(w - 0.505) < 0.005 and abs(b - 1.997) < 0.005, (w, b, style.describe())
