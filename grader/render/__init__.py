"""Report formats: each renders the one GradeResult to a string (principle 6)."""
import importlib

FORMATS = ("text", "json", "markdown", "html", "junit", "gradescope", "prairielearn")


def render(result, fmt):
    """The report in format `fmt`: the module grader/render/<fmt>_report.py renders it."""
    return importlib.import_module(f"grader.render.{fmt}_report").render(result)
