"""Every check the grader knows, by id. The rubric picks among them and gives their points."""

from grader import homework
from grader.homework.checks.composition import composition_checks
from grader.homework.checks.layers import layer_checks
from grader.homework.checks.training import Convergence, OwnRun, Protocol


def all_checks():
    checks = [c for layer in homework.LAYERS for c in layer_checks(layer)]
    checks += composition_checks() + [Convergence(), OwnRun(), Protocol()]
    return {check.id: check for check in checks}


CHECK_IDS = tuple(all_checks())
