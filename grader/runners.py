"""Running a scenario in-process, on trusted code only: the reference and its mutants."""
import json
from collections import OrderedDict

from grader import scenario


class LocalRunner:
    def __init__(self, namespace, source_path=None):
        self.namespace = namespace
        self.source_path = source_path  # where its code objects say they come from: its errors' frames

    def run(self, ops):
        return scenario.run(self.namespace, ops, self.source_path)


class RecentRuns:
    """A runner that keeps the records of the last few scenarios it ran: the reference's replays of
    the students' own loops repeat (most loops draw the samples the hand-out draws)."""

    def __init__(self, runner, size=8):
        self.runner, self.size = runner, size
        self.records = OrderedDict()  # scenario -> its records, the most recent last

    def run(self, ops):
        key = json.dumps(ops, sort_keys=True)
        if key not in self.records:
            self.records[key] = self.runner.run(ops)
            if len(self.records) > self.size:
                self.records.popitem(last=False)
        self.records.move_to_end(key)
        return self.records[key]
