"""Checks your homework as the course's grader will, on its visible checks, and says what is wrong
and where: `check("my_exp")` (or `check()`) in the notebook, `make grade` in the shell.

It holds no solution: it runs your code on the checks' inputs and compares what it does with what
a correct solution did on the same inputs (and with what the usual bugs do, to name yours).
"""

from grader.checker import check, main, watch_the_kernel

__all__ = ["check"]

watch_the_kernel()  # in a notebook: cells you interrupt are left out of the next checks

if __name__ == "__main__":
    raise SystemExit(main())
