"""Optimisations change how a report is made, never what it says: each is compared here with the
slower way it replaced, on submissions where it applies and where it does not."""
import pytest

from conftest import CORRECT_STYLES, REFERENCE, SUBMISSIONS, TESTS, grade, reference_source, write_submission
from grader.checks.training import Convergence

NOTEBOOK = TESTS / "notebooks" / "reference.ipynb"
ARRAYS_OF_ONE = TESTS / "offcatalogue" / "correct" / "slice_samples.py"  # samples as xx[j:j + 1]
LOOP_BUG = SUBMISSIONS / "loop_order.py"


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
    expected = {REFERENCE: True, ARRAYS_OF_ONE: False, LOOP_BUG: False, other_rate(tmp_path): False}
    for path, stands_in in expected.items():
        stood_in.clear()
        grade(path)
        assert stood_in == [stands_in], path.name


@pytest.mark.parametrize("path", [REFERENCE, *CORRECT_STYLES, NOTEBOOK, ARRAYS_OF_ONE, LOOP_BUG],
                         ids=lambda path: path.name)
def test_a_report_is_the_same_whether_the_rubrics_run_is_made_or_read_from_the_students_loop(path, monkeypatch):
    read = grade(path).to_dict()
    monkeypatch.setattr(Convergence, "from_own_run", lambda self, records, ctx: None)
    made = grade(path).to_dict()
    assert read == made
