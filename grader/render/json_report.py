"""The JSON report of DESIGN.md, as `json.dumps(report, indent=2)` writes it.

With an indent, the json module encodes in Python, a call per number: the 5000 losses of a run
cost ten times the rest of the report. They are written here by the C encoder's own float
formatting instead, in the same layout, byte for byte (a test compares both).
"""

import json

LOSSES_ITEM = "\n      "  # the losses are items of a list in the training object: three levels deep


def render(result):
    report = result.to_dict()
    losses = report["training"] and report["training"]["losses"]
    if not losses:
        return dumps(report)
    report["training"]["losses"] = []  # a key the rest of the report cannot hold unescaped, written below
    written = LOSSES_ITEM + ("," + LOSSES_ITEM).join(json.dumps(losses, allow_nan=False)[1:-1].split(", "))
    return dumps(report).replace('\n    "losses": []', f'\n    "losses": [{written}\n    ]', 1)


def dumps(report):
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
