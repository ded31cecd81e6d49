"""Report formats: each renders the one GradeResult to a string (principle 6)."""
import importlib

FORMATS = ("text", "json")


def render(result, fmt):
    return importlib.import_module(f"grader.render.{fmt}_report").render(result)
