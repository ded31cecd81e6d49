"""Naming the bug behind a failed check: from the error the code raised, or from the mutant
of the catalogue that behaves the same way on the same inputs (principle 4)."""

import ast
import functools
import importlib

from grader import homework
from grader.check import raised_in
from grader.results import Diagnosis

# named from what happened (an exception, a parse error, a limit), not by comparison with a mutant
FROM_ERRORS = ("not-implemented", "missing-definition", "syntax-error", "timeout", "memory-limit", "crash")
LIMITS = ("timeout", "memory-limit", "crash")  # a limit of the sandbox was hit: a TA looks at these first


@functools.cache
def catalogue():
    """The mutants' module: imported in the grader's parent only (never in the child), and only where
    the solution is (the hand-out's checker has their observations, not their code)."""
    return importlib.import_module(homework.MUTANTS)


def behavioural_ids():
    return tuple(dict.fromkeys(mutant.id for mutant in catalogue().MUTANTS))


def diagnosis_ids():
    """DESIGN.md's ids (and grad-accumulates): the contract of rubric and reports."""
    return behavioural_ids() + FROM_ERRORS


ERROR_TYPES = {
    "NotImplementedError": "not-implemented",
    "MissingDefinition": "missing-definition",
    "SyntaxError": "syntax-error",
    "SystemExit": "crash",
    "KeyboardInterrupt": "crash",
    "MemoryError": "memory-limit",
    "Timeout": "timeout",
}


def from_errors(observation):
    return list(dict.fromkeys(ERROR_TYPES[e.type] for e in raised_in(observation) if e.type in ERROR_TYPES))


def observe_mutants(check, ops, ctx, mutants):
    """(mutant, its observation) of a check's scenario run on each mutant that can be observed
    on it: the same for every submission."""
    observed = []
    for mutant, runner in mutants:
        try:
            observed.append((mutant, check.observe(runner.run(ops), ctx)))
        except Exception:  # noqa: BLE001  (a mutant that cannot be observed on this check says nothing about it)
            continue
    return observed


DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def top_level(source):
    """({name: node} of a module's top-level classes and functions, its other top-level statements)."""
    named, rest = {}, []
    for node in ast.parse(source).body:
        if isinstance(node, DEFINITIONS):
            named[node.name] = node
        else:
            rest.append(node)
    return named, rest


def changed_names(source, changed):
    """The top-level names (classes, functions) whose definitions differ between two versions of a
    module; None when a statement that defines no name differs (an import, a global assignment)."""
    (dumped, rest), (dumped_after, rest_after) = dumped_top_level(source), dumped_top_level(changed)
    if rest != rest_after:
        return None
    return {name for name in dumped.keys() | dumped_after.keys() if dumped.get(name) != dumped_after.get(name)}


@functools.lru_cache(maxsize=2)  # the reference's, compared with each mutant in turn
def dumped_top_level(source):
    """top_level(source), each node as ast.dump writes it."""
    named, rest = top_level(source)
    return {name: ast.dump(node) for name, node in named.items()}, [ast.dump(node) for node in rest]


def reached(definitions, names):
    """Of a module's top-level `definitions` ({name: node}), the names the named ones use, directly or
    through each other, themselves included (every name their code mentions: more than they use,
    never less)."""
    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += (
                [n.id for n in ast.walk(definitions[name]) if isinstance(n, ast.Name)] if name in definitions else []
            )
    return found


def from_mutants(check, student, reference, ctx, observed_mutants):
    """Ids of the mutants whose departures from the reference the student's code shares."""
    found = []
    for mutant, observed in observed_mutants:
        if mutant.id not in found and check.same_bug(student, observed, reference, ctx):
            found.append(mutant.id)
    return found


def collect(check_results, texts, locations):
    """One Diagnosis per id, listing the checks that named it, in the order first named."""
    diagnoses = {}
    for result in check_results:
        for diagnosis_id in result.diagnoses:
            if diagnosis_id not in diagnoses:
                text = texts[diagnosis_id]
                diagnoses[diagnosis_id] = Diagnosis(
                    diagnosis_id, text.title, text.hint, [], locations.get((result.id, diagnosis_id))
                )
            diagnoses[diagnosis_id].checks.append(result.id)
    return list(diagnoses.values())
