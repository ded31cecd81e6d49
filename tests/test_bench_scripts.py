"""`make bench` runs its scripts as scripts, outside pytest (whose pythonpath puts the project on
sys.path): they must find the project's files on their own. Timed, never tested otherwise, a change of
the tests' helpers broke one unseen."""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

LOAD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("bench_script", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def run_outside_pytest(script, code, folder):
    """`code` run after loading bench/<script>.py as `module`, in a fresh interpreter started in `folder`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", LOAD + code, str(ROOT / "bench" / f"{script}.py"), str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_one_grading_bench_builds_the_notebook_without_matplotlib(tmp_path):
    run = run_outside_pytest("bench", "print(module.notebook_without_matplotlib(sys.argv[2]))", tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    notebook = json.loads(Path(run.stdout.strip()).read_text(encoding="utf-8"))
    sources = "\n".join("".join(cell["source"]) for cell in notebook["cells"])
    assert "class my_composition" in sources and "plt" not in sources and "matplotlib" not in sources


def test_the_batch_bench_builds_distinct_submissions_and_notebooks(tmp_path):
    code = """
from pathlib import Path
folder = Path(sys.argv[2])
(folder / "scratch").mkdir()
scripts = module.build_batch(folder / "py", 3)
notebooks = module.build_batch(folder / "nb", 2, notebook=True, scratch=folder / "scratch")
print(len({path.read_text() for path in scripts}), sorted({path.suffix for path in notebooks}))
"""
    run = run_outside_pytest("batch_bench", code, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split("\n")[-2] == "3 ['.ipynb']"


def test_the_handout_bench_builds_the_handout_and_times_the_checker_in_a_kernel(tmp_path):
    code = (
        "from pathlib import Path\n"
        "folder = Path(sys.argv[2])\n"
        "zipped = module.handout.build(folder / 'handout.zip')\n"
        "import zipfile; zipfile.ZipFile(zipped).extractall(folder)\n"
        "print(module.kernel_times(module.checker_python(folder / 'handout'), folder, 1))\n"
    )
    run = run_outside_pytest("handout_bench", code, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "'check()'" in run.stdout
