"""Optimisations change how a report is made, never what it says: each is compared here with the
slower way it replaced, on submissions where it applies and where it does not."""

import contextlib
import io
import time
import warnings
from dataclasses import replace

import notebooks as nbs
import numpy as np
import pytest
from hypothesis import given, strategies as st

from helpers import CORRECT_STYLES, REFERENCE, SUBMISSIONS, TESTS, grade, reference_source, write_submission
from grader.check import Tolerance, compare
from grader.homework.checks.training import Convergence
from grader.diagnosis import changed_names, reached, top_level
from grader.results import finite, finite_list
from reference.mutants import MUTANTS

pytestmark = pytest.mark.slow  # each optimisation compared with the way it replaced, over corpora

NOTEBOOK = TESTS / "notebooks" / "reference.ipynb"
ARRAYS_OF_ONE = TESTS / "offcatalogue" / "correct" / "slice_samples.py"  # samples as xx[j:j + 1]
LOOP_BUG = SUBMISSIONS / "loop_order.py"
OTHER_MODEL = TESTS / "offcatalogue" / "bugs" / "factory_wrong_order.ipynb"  # trains exp(w(x + b)), another model


def other_rate(directory):
    """The reference whose loop steps at a tenth of the rate it is asked for."""
    source = reference_source().replace("my_fit.step(learning_rate)", "my_fit.step(learning_rate / 10)")
    return write_submission(directory, source)


def test_the_rubrics_run_is_read_from_the_students_loop_only_when_that_loop_made_it(monkeypatch, tmp_path):
    stood_in = []
    made = Convergence.from_own_run

    def spy(self, records, ctx):
        answer = made(self, records, ctx)
        stood_in.append(answer is not None)
        return answer

    monkeypatch.setattr(Convergence, "from_own_run", spy)
    (tmp_path / "mutant").mkdir()
    mutant = write_submission(tmp_path / "mutant", next(m for m in MUTANTS if m.id == "step-ascent").source())
    expected = {
        REFERENCE: True,
        ARRAYS_OF_ONE: False,
        LOOP_BUG: False,
        OTHER_MODEL: False,
        mutant: True,
        other_rate(tmp_path): False,
    }
    for path, stands_in in expected.items():
        stood_in.clear()
        grade(path)
        assert stood_in == [stands_in], path.name


def same_report_made_or_read(path, monkeypatch):
    read = grade(path).to_dict()
    monkeypatch.setattr(Convergence, "from_own_run", lambda self, records, ctx: None)
    assert read == grade(path).to_dict()


@pytest.mark.parametrize(
    "path", [REFERENCE, *CORRECT_STYLES, NOTEBOOK, ARRAYS_OF_ONE, LOOP_BUG, OTHER_MODEL], ids=lambda path: path.name
)
def test_a_report_is_the_same_whether_the_rubrics_run_is_made_or_read_from_the_students_loop(path, monkeypatch):
    same_report_made_or_read(path, monkeypatch)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_a_mutants_report_is_the_same_whether_the_rubrics_run_is_made_or_read(mutant, monkeypatch, tmp_path):
    """Wrong classes in the hand-out's loop: the loop's run is the rubric's run, wrong the same way."""
    same_report_made_or_read(write_submission(tmp_path, mutant.source()), monkeypatch)


@pytest.fixture(scope="module")
def grader():
    from grader import grading, rubric

    return grading.Grader(rubric.load(None))


def test_a_mutant_left_out_of_a_scenario_records_there_what_the_reference_records(grader):
    """Mutants are observed only on the scenarios their edits can reach: the others, run anyway,
    must observe exactly what the reference does (and then show nobody's bug: the next test)."""
    left_out = 0
    for plan in (p for p in grader.plans if p.check.uses_mutants):
        observed = {mutant.name for mutant, _ in grader.mutants_on(plan)}
        for mutant, runner, _ in grader.expected.mutants:
            if mutant.name not in observed:
                left_out += 1
                try:
                    observation = plan.check.observe(runner.run(plan.ops), plan.ctx)
                except Exception:  # noqa: BLE001  (a mutant that cannot be observed there is left out anyway)
                    continue
                exact = replace(plan.ctx, tolerance=Tolerance(0.0, 0.0))
                assert compare(observation, plan.expected, exact.tolerance).passed, (plan.spec.id, mutant.name)
    assert left_out > 300  # most pairs: a layer's checks build that layer alone


def test_a_mutant_that_records_what_the_reference_records_shows_no_bug(grader):
    for plan in (p for p in grader.plans if p.check.uses_mutants):
        students = [observation for _, observation in grader.mutants_on(plan)] + [plan.expected]
        for student in students:
            assert not plan.check.same_bug(student, plan.expected, plan.expected, plan.ctx), plan.spec.id


def test_an_edit_reaches_the_definitions_that_use_what_it_changed():
    source = (
        "import numpy as np\ndef h(x):\n    return x\n"
        "class A:\n    def f(self, x):\n        return h(x)\nclass B:\n    pass\n"
    )
    assert changed_names(source, source.replace("return x", "return 2 * x")) == {"h"}
    assert changed_names(source, source.replace("import numpy as np", "import math")) is None  # not a definition
    definitions, _ = top_level(source)
    assert "h" in reached(definitions, {"A"}) and "B" not in reached(definitions, {"A"})


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6), max_size=40))
def test_a_runs_losses_are_made_json_safe_at_once_as_one_by_one(values):
    assert finite_list(values) == [finite(value) for value in values]


def test_a_notebook_finds_pyplot_as_a_fresh_process_would_though_its_zygote_plotted_once(tmp_path):
    nb = nbs.filled(REFERENCE)
    nb.cells.insert(
        0,
        nbs.code(
            "import matplotlib.pyplot as plt\n"
            "print('figures', plt.get_fignums(), plt.figure().number, len(plt.gca().lines))"
        ),
    )
    result = grade(nbs.write(nb, tmp_path / "backprop.ipynb"))
    assert "figures [] 1 0\n" in result.output, result.output


@contextlib.contextmanager
def process_state_kept():
    """numpy's error handling, print options and random state and the warning filters as they were,
    after the block: corpus files set them at import (np.seterr(all="raise"), warnings as errors),
    and this test's process goes on to run other tests."""
    random_state = np.random.get_state()
    with np.errstate(), np.printoptions(), warnings.catch_warnings():
        yield
    np.random.set_state(random_state)


def corpus_namespaces():
    """(name, namespace) of the reference, every mutant and every .py of the corpora, loaded in this
    process as the child loads them (trusted code: the tests' own; see process_state_kept)."""
    from grader import child

    paths = [REFERENCE, *sorted(SUBMISSIONS.glob("*.py")), *sorted((TESTS / "offcatalogue").rglob("*.py"))]
    for path in paths:
        namespace = {"__name__": "submission", "__file__": str(path), "__builtins__": __builtins__}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            child.load(str(path), child.read(str(path)), namespace, {})
        yield path.name, namespace


def test_a_check_that_reads_no_state_observes_the_same_without_the_childs_snapshots(grader):
    """The child leaves out of its answer the numbers objects hold (their state) for a check that never
    reads them: its observation must be the same as with them, for every way the corpora keep numbers."""
    stateless = [plan for plan in grader.plans if not plan.check.reads_state]
    assert {"my_exp.finite_diff", "add_bias.arrays", "my_composition.forward"} <= {p.spec.id for p in stateless}
    with process_state_kept():
        compare_with_and_without_state(grader, stateless)


def compare_with_and_without_state(grader, stateless):
    from grader import scenario
    from grader.expected import same_value

    subjects = [
        *corpus_namespaces(),
        *((mutant.name, runner.namespace) for mutant, runner, _ in grader.expected.mutants),
    ]
    assert len(subjects) > 240  # the corpora's 218 files and the catalogue's 24 mutants, at least
    for name, namespace in subjects:
        for plan in stateless:
            with_state, without = (
                scenario.run(namespace, plan.ops, None, None, snapshots) for snapshots in (True, False)
            )
            assert all("state" not in record for record in without.values() if isinstance(record, dict))
            try:
                expected = plan.check.observe(with_state, plan.ctx)
            except Exception:  # noqa: BLE001  (a malformed answer: then it must be malformed without state too)
                with pytest.raises(Exception):  # noqa: B017
                    plan.check.observe(without, plan.ctx)
                continue
            observed = plan.check.observe(without, plan.ctx)
            assert observed.keys() == expected.keys(), (name, plan.spec.id)
            assert all(same_value(observed[key], found) for key, found in expected.items()), (name, plan.spec.id)


def test_a_check_that_reads_state_observes_something_else_without_it(grader):
    """The comparison above can fail: leaving the numbers out changes what a check reading them sees."""
    from grader import scenario

    plan = grader.by_id["multiplication_weight.backward.param_grad"]
    assert plan.check.reads_state
    with process_state_kept():
        namespace = next(namespace for name, namespace in corpus_namespaces() if name == REFERENCE.name)
    with_state, without = (scenario.run(namespace, plan.ops, None, None, snapshots) for snapshots in (True, False))
    assert not compare(plan.check.observe(without, plan.ctx), plan.expected, Tolerance(0.0, 0.0)).passed
    assert compare(plan.check.observe(with_state, plan.ctx), plan.expected, Tolerance(0.0, 0.0)).passed


TRAINING_DATA = np.arange(0, 1, 0.01)


def truth(x):
    return np.exp(0.5 * x + 2)


@given(
    seed=st.integers(0, 2**31 - 1),
    n_steps=st.integers(1, 60),
    rate=st.sampled_from([1e-4, 1e-3, 0.05]),
    start=st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
)
def test_the_replay_of_the_rubrics_run_has_its_key_and_its_records(seed, n_steps, rate, start):
    """The reference's records of a replay are read from its run of the rubric's checks when the keys
    agree: the replay, made as the grading makes it from a loop's record, must then give the same."""
    from grader import ops, scenario

    run = ops.train("train", TRAINING_DATA, truth(TRAINING_DATA), *start, rate, n_steps, seed)
    x = TRAINING_DATA[scenario.samples(seed, len(TRAINING_DATA), n_steps)]
    rates = np.where(np.isfinite(np.full(n_steps, rate)), np.full(n_steps, rate), rate)
    replay = ops.replay("train", x, truth(x), rates, *start)
    assert scenario.run_key([run]) == scenario.run_key([replay])
    reference = scenario.InProcess(vars(__import__("reference.backprop").backprop))
    assert reference.run([run]) == reference.run([replay])
    other = ops.replay("train", x, truth(x), np.where(np.arange(n_steps) == 0, rate / 2, rates), *start)
    assert scenario.run_key([other]) != scenario.run_key([run])


@pytest.mark.parametrize("path", [REFERENCE, *CORRECT_STYLES, ARRAYS_OF_ONE, LOOP_BUG], ids=lambda path: path.name)
def test_a_report_is_the_same_whether_a_loops_replay_is_made_or_read_from_the_rubrics_run(path, monkeypatch):
    from grader import expected, scenario

    read = grade(path).to_dict()
    monkeypatch.setattr(expected, "RecentRuns", lambda runner, known=None: scenario.RecentRuns(runner))
    assert read == grade(path).to_dict()


def test_the_parents_work_is_taken_while_the_child_runs_and_left_where_it_is_once_it_answers(grader, tmp_path):
    """A step at a time, while the child has not answered (here it builds each add_bias for 50 ms):
    the work stops at its answer, and the next request goes on from there."""
    from grader import sandbox

    slow = reference_source().replace("        self.b = b\n", "        self.b = b\n        time.sleep(0.05)\n", 1)
    path = write_submission(tmp_path, "import time\n" + slow)
    taken = []

    def work():
        for step in range(200):
            taken.append(step)
            yield
            time.sleep(0.01)

    plan = grader.by_id["add_bias.forward"]
    steps = work()
    with sandbox.Sandbox(str(path), grader.rubric.limits) as child:
        assert child.ready() is None
        first = child.ask(grader.request(plan, None), meanwhile=steps)
        after_first = len(taken)
        second = child.ask(grader.request(plan, None), meanwhile=steps)
    assert first == second and isinstance(first, dict)
    assert 1 <= after_first < len(taken) < 200 and taken == list(range(len(taken)))


def test_a_quick_requests_wait_leaves_the_preparation_for_the_next(grader):
    """The training plans' waits go on with the Grader's preparation where earlier waits left it: a
    wait that ends does not end the preparation with it."""
    from grader.grading import SubmissionGrading

    grading = SubmissionGrading(grader, submission=None)
    grading.preparation = (step for step in range(5))  # a generator, as Grader.preparing is
    wait = grading.meanwhile(grader.by_id["training.own_run"])
    assert next(wait) is grader.by_id["training.own_run"] and next(wait) == 0
    wait.close()
    assert list(grading.preparation) == [1, 2, 3, 4]


WARMED = [REFERENCE, *sorted(SUBMISSIONS.glob("*.py")), NOTEBOOK, ARRAYS_OF_ONE, OTHER_MODEL]


def test_a_report_is_the_same_whether_an_answer_that_passed_before_is_judged_again_or_not(tmp_path):
    """One Grader keeps the checks that passed on an answer, to the byte, and gives the next answer
    like it that result unjudged: every report must be the one a fresh Grader writes."""
    from grader import grading, rubric
    from grader.submission import open_submission

    mutants = [write_submission(tmp_path, mutant.source(), f"mutant_{n}.py") for n, mutant in enumerate(MUTANTS[::3])]
    warm = grading.Grader(rubric.load(None))
    reused = 0
    for path in [*WARMED, *mutants, REFERENCE]:
        known = len(warm.passed)
        with open_submission(path) as submission:
            kept = warm.grade(submission).to_dict()
        reused += known == len(warm.passed)  # nothing new to keep: every pass was read
        assert kept == grade(path).to_dict(), path.name
    assert warm.passed and reused >= 1  # the reference, graded again at the end, judged nothing again


def test_a_figure_is_the_drawing_of_its_numbers(tmp_path):
    from grader.render import plots
    from grader.results import Training

    losses = list(np.linspace(3, 0.1, 300))
    run = Training(0.5, 2.0, losses, {"w": 0.5, "b": 2.0}, list(np.linspace(1, 0.5, 300)), list(np.linspace(1, 2, 300)))
    same = Training(**{**run.__dict__, "losses": list(losses)})
    other = Training(**{**run.__dict__, "losses": losses[:-1] + [losses[-1] * 2]})
    assert (
        plots.training_svg(run, "Your classes")
        == plots.training_svg(same, "Your classes")
        == plots.drawing(run, "Your classes")
    )
    assert (
        plots.training_svg(other, "Your classes")
        == plots.drawing(other, "Your classes")
        != plots.drawing(run, "Your classes")
    )
    assert plots.training_svg(run, "The reference solution") == plots.drawing(run, "The reference solution")


def test_a_kept_pass_is_read_only_with_the_compute_loss_order_it_was_judged_with(grader):
    """training.protocol's records do not depend on compute_loss's order, but its verdict does, and
    other answers decide that order: the same records judged with the other order are judged again."""
    from grader.grading import SubmissionGrading, answer_key

    protocol = grader.by_id["training.protocol"]
    first, second = SubmissionGrading(grader, submission=None), SubmissionGrading(grader, submission=None)
    for grading in (first, second):
        grading.written[answer_key(protocol, ("estimate", "target"))] = b"the same answer"
    kept = first.passing(protocol, ("estimate", "target"))
    assert second.passed_before(protocol, ("estimate", "target")) == kept
    assert second.passed_before(protocol, ("target", "estimate")) is None
