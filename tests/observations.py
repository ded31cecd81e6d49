"""Observations for the unit tests of the checks' `verdict` and `same_bug`: what the reference and the
mutants show on each check's scenario, made in-process as grading.py makes them (trusted code: no sandbox,
no child process, no submission file), and ways to spoil a copy of one by hand."""

import copy
import functools

import numpy as np

import reference.backprop
from grader import rubric as rubrics
from grader.homework.checks import all_checks
from grader.check import Context, agree, is_numeric
from grader.homework.inputs import make_inputs
from grader.scenario import InProcess, RecentRuns
from grader.wire import Raised
from reference.mutants import namespaces

RUBRIC = rubrics.load(None)
CHECKS = all_checks()
TOLERANCE = RUBRIC.tolerance  # against the reference
FD_TOLERANCE = RUBRIC.fd_tolerance  # a gradient against finite differences


@functools.cache
def reference_runner():
    return InProcess(vars(reference.backprop), reference.backprop.__file__)


@functools.cache
def base_context():
    return Context.of(RUBRIC, make_inputs(RUBRIC.seed), RUBRIC.seed, reference=RecentRuns(reference_runner()))


def context(check_id):
    """The context grading.py gives a check: the rubric's, with the check's own tolerance if it has one."""
    return base_context().for_check(RUBRIC.checks[check_id])


@functools.cache
def _observed(check_id, runner_name):
    check = CHECKS[check_id]
    runner = reference_runner() if runner_name is None else _mutant_runners()[runner_name]
    return check.observe(runner.run(check.scenario(context(check_id))), context(check_id))


@functools.cache
def _mutant_runners():
    return {mutant.name: InProcess(namespace, mutant.filename) for mutant, namespace in namespaces()}


def expected(check_id):
    """The reference's observation of the check's scenario (a fresh copy: spoil it at will)."""
    return copy.deepcopy(_observed(check_id, None))


def of_mutant(check_id, mutant_name):
    """A mutant's observation of the check's scenario, by the mutant's name ("shared-state (the input kept
    on the class)" for a variant)."""
    return copy.deepcopy(_observed(check_id, mutant_name))


def mutant_names():
    return list(_mutant_runners())


# judging


def verdict(check_id, observation, reference=None):
    """The check's verdict on an observation against the reference's (its own when not given)."""
    reference = _observed(check_id, None) if reference is None else reference  # checks never change it
    return CHECKS[check_id].verdict(observation, reference, context(check_id))


def same_bug(check_id, student, mutant):
    return CHECKS[check_id].same_bug(student, mutant, _observed(check_id, None), context(check_id))


def departures(check_id, observation):
    """The keys where an observation is not what the reference observes."""
    reference = _observed(check_id, None)
    return [key for key in reference if not agree(observation.get(key), reference[key], TOLERANCE)]


# spoiling copies


def with_values(observation, values):
    """A copy of the observation with some keys' values replaced: {key: new value}."""
    spoiled = copy.deepcopy(observation)
    spoiled.update(values)
    return spoiled


def keys_with(observation, *words):
    """The observation's keys that contain every one of the words (at least one key)."""
    found = [key for key in observation if all(word in key for word in words)]
    assert found, f"no key with {words} among {list(observation)}"
    return found


def first_key(observation, *words):
    return keys_with(observation, *words)[0]


def margin(value, tolerance, times):
    """`times` the tolerance allows around a value: 0.5 is just inside, 2 just outside."""
    return times * (tolerance.atol + tolerance.rtol * np.abs(value))


def off_by(value, tolerance, times):
    """The value moved by `times` the tolerance allowed around it, keeping its type (float or array)."""
    return (
        type(value)(value + margin(value, tolerance, times))
        if np.ndim(value) == 0
        else value + margin(value, tolerance, times)
    )


def error(type_name="TypeError", message="unsupported operand", function="backward", **fields):
    return Raised(type_name, message, 7, function=function, **fields)


def numbers(observation):
    """The keys whose values are numbers (or numeric arrays)."""
    return [key for key, value in observation.items() if is_numeric(value)]
