"""Running a scenario in-process, on trusted code only: the reference and its mutants."""
from grader import scenario


class LocalRunner:
    def __init__(self, namespace):
        self.namespace = namespace

    def run(self, ops):
        return scenario.run(self.namespace, ops)
