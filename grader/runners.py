"""Running a scenario in-process, on trusted code only: the reference and its mutants."""
from grader import scenario


class LocalRunner:
    def __init__(self, namespace, source_path=None):
        self.namespace = namespace
        self.source_path = source_path  # where its code objects say they come from: its errors' frames

    def run(self, ops):
        return scenario.run(self.namespace, ops, self.source_path)
