"""The HTML pages (the report and the cohort summary), rendered from the Jinja2 templates in templates/
with autoescaping on: a template is given the grader's and the student's text as it is, and every value
it writes out is escaped, whoever wrote the template.
"""

import functools
import html

import jinja2
from markupsafe import Markup


def escape(value):
    """A value as HTML text, with html.escape's entities (&quot; and &#x27;, where markupsafe writes &#34;
    and &#39;), so that the pages stay byte for byte what they were before templates. Markup, a macro's
    output or a figure, is left as it is."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


@functools.cache
def environment():
    """Built once per process, on the first page: each template is then compiled once."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.render"),
        autoescape=True,
        finalize=escape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template, **context):
    return environment().get_template(template).render(context)


def figure(svg):
    """An SVG document drawn by render/plots.py, to be written out as markup: the one place the pages
    take markup from Python. plots.py escapes every text it draws (titles, labels) itself."""
    return Markup(svg)
