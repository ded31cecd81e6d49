"""The report a student reads in the terminal: the score and each bug with where and how to fix it first,
then the checks, the notes, and the inputs that showed each failure."""

from rich.console import Console
from rich.table import Table
from rich.text import Text

STYLES = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


def render(result):
    console = Console(record=True, file=_Discard(), width=100, color_system=None, soft_wrap=True)
    console.print(Text(f"{result.assignment}: {result.submission}", style="bold"))
    console.print(f"Score: {result.score:g} / {result.max_score:g}\n")
    if result.diagnoses:
        console.print("What is wrong, and where:", style="bold")
        for d in result.diagnoses:
            where = f"{d.where}: " if d.where else ""
            console.print(Text(f"- {where}{d.title} [{d.id}]"))
            console.print(Text(f"    {d.hint}"))
        console.print()
    console.print(checks_table(result), soft_wrap=False)
    if result.notes:
        console.print("\nNotes:", style="bold")
        for note in result.notes:
            console.print(Text(f"- {note}"))
    failed = result.failed
    if failed:
        console.print("\nFailed checks, with the inputs that showed it:", style="bold")
        for check in failed:
            console.print(Text(f"- {check.id} ({check.status}, {check.score:g}/{check.max_score:g})"))
            for line in check.message.splitlines():
                console.print(Text(f"    {line}"))
    if result.training is not None:
        console.print(Text(f"\nTraining run with your classes: {training_summary(result.training)}"))
    if result.output:
        console.print(Text(f"\nWhat your code printed (not graded):\n{result.output}"))
    return console.export_text()


def training_summary(training):
    if not training.losses:
        return "it stopped before its first step."
    target = training.target
    return (
        f"w = {training.w:.4f}, b = {training.b:.4f} after {len(training.losses)} steps "
        f"(target w = {target['w']:g}, b = {target['b']:g})"
    )


def checks_table(result):
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column, justify in (("status", "left"), ("points", "right"), ("check", "left")):
        table.add_column(column, justify=justify)
    for check in result.checks:
        table.add_row(
            Text(check.status, style=STYLES[check.status]), f"{check.score:g}/{check.max_score:g}", Text(check.name)
        )
    return table


class _Discard:
    """Rich records what it prints; the CLI decides where the text goes."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass
