"""The report a student reads in the terminal."""
from rich.console import Console
from rich.table import Table
from rich.text import Text

STYLES = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


def render(result, width=100):
    console = Console(width=width, record=True, file=_Discard(), force_terminal=False, color_system=None)
    console.print(Text(f"{result.assignment}: {result.submission}", style="bold"))
    console.print(f"Score: {result.score:g} / {result.max_score:g}\n")
    console.print(checks_table(result))
    failed = [c for c in result.checks if c.status != "passed"]
    if failed:
        console.print("\nWhat failed:", style="bold")
        for check in failed:
            console.print(f"- {check.name} [{check.id}]", markup=False)
            for line in check.message.splitlines():
                console.print(f"    {line}", markup=False)
    if result.diagnoses:
        console.print("\nDiagnoses:", style="bold")
        for d in result.diagnoses:
            where = f" ({d.where})" if d.where else ""
            console.print(f"- {d.id}: {d.title}{where}", markup=False)
            console.print(f"    {d.hint}", markup=False)
    if result.training is not None:
        console.print(f"\nTraining run with your classes: w = {result.training.w:.4f}, b = {result.training.b:.4f}"
                      " (target w = 0.5, b = 2)", markup=False)
    return console.export_text()


def checks_table(result):
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column, justify in (("status", "left"), ("points", "right"), ("check", "left")):
        table.add_column(column, justify=justify)
    for check in result.checks:
        table.add_row(Text(check.status, style=STYLES[check.status]), f"{check.score:g}/{check.max_score:g}",
                      Text(check.name))
    return table


class _Discard:
    def write(self, text):
        return len(text)

    def flush(self):
        pass
