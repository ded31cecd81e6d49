"""The homework lives in one place (grader/homework/): the engine around it (sandbox, child,
scenario interpreter, check framework, diagnosis, rubric loading, renderers) names none of its
classes, so that another homework replaces that package and the rubric, not the engine."""

import ast

from helpers import ROOT
from grader import homework

GRADER = ROOT / "grader"
HOMEWORK = GRADER / "homework"


def mentions(folder, names):
    """{file relative to the project: the names it mentions} of every source file under the folder."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".j2", ".html"):
            text = path.read_text(encoding="utf-8")
            named = [name for name in names if name in text]
            if named:
                found[str(path.relative_to(ROOT))] = named
    return found


def test_no_engine_module_names_a_class_of_the_exercise():
    engine = {
        path: named
        for path, named in mentions(GRADER, homework.GRADED).items()
        if not path.startswith(str(HOMEWORK.relative_to(ROOT)))
    }
    assert engine == {}


def test_the_homework_package_is_where_the_classes_are_named():
    # the search above finds names where they are: here, every class is named by the checks
    named = {name for names in mentions(HOMEWORK, homework.GRADED).values() for name in names}
    assert named == set(homework.GRADED)


def test_the_child_can_import_the_homework_facts_without_the_solution():
    # the child imports grader.homework before it is confined; it must not load the reference with it
    tree = ast.parse((HOMEWORK / "__init__.py").read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_the_interpreter_runs_every_op_of_the_language_and_no_other():
    from grader import ops, scenario

    assert set(scenario.Interpreter.HANDLERS) == set(ops.NAMES)
    assert ops.CLASS_OPS.issubset(ops.NAMES) and not set(ops.NAMES).issubset(ops.CLASS_OPS)
    documented = {line.split("`")[1] for line in ops.__doc__.splitlines() if line.startswith("| `")}
    assert documented == set(ops.NAMES)


def test_checks_build_their_scenarios_with_the_builders_of_the_language_only():
    raw = {path: named for path, named in mentions(GRADER, ['"op":']).items() if path != "grader/ops.py"}
    assert raw == {}
