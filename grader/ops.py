"""The scenario language: what the parent asks of the submission (and of the reference and the
mutants), one operation at a time. A scenario is a list of ops, plain JSON built by the functions
below and nothing else; grader.scenario's interpreter runs them in order on one namespace and
answers {each op's key: its record} (ops that share a key, the logs of a scenario, answer with the
last one's). A check names each key once, in the handles its scenario and its observation share.

| op          | fields (besides key)                          | record                                      |
|-------------|-----------------------------------------------|---------------------------------------------|
| `new`       | name, cls, args, index (stand-ins only)       | value: None, or why it could not be built;  |
|             |                                               | state: the numbers the new object holds     |
| `call`      | name, method, args, roles (compute_loss only) | value: what it returned or raised; state    |
| `bind`      | name, value                                   | value: None (the value is now `name`)       |
| `read`      | name                                          | value: the object bound to `name`, as now   |
| `state`     | name                                          | value: None; state: the numbers it holds now|
| `log`       |                                               | log: the stand-in layers' calls, in order:  |
|             |                                               | [kind, layer index, value]                  |
| `train`     | x, y, w0, b0, and learning_rate, n_steps,     | losses, ws, bs: after each step; raised     |
|             | seed (the rubric's run) or rates (a replay)   |                                             |
| `own_train` | x, y, learning_rate, n_steps, seed            | the loop's record (grader.loops.record)     |

Arguments are wire values (`arg`), objects the scenario built (`ref`) or lists of those (`items`).
A `cls` starting with "standin." is one of the grader's own layers (grader.homework.standins);
`roles` give compute_loss its estimate and target, which the interpreter passes in the order the
submission takes them.
"""

from grader import wire

NAMES = ("new", "call", "bind", "read", "state", "log", "train", "own_train")
CLASS_OPS = {"new", "call", "bind", "read", "state", "log"}  # the ops that use no code but the classes built


def arg(value):
    return wire.encode(value)


def ref(name):
    return {"kind": "ref", "name": name}


def items(names):
    return {"kind": "list", "items": [ref(name) for name in names]}


def new(key, name, cls, *args, index=None):
    op = {"key": key, "op": "new", "name": name, "cls": cls, "args": list(args)}
    if index is not None:
        op["index"] = index
    return op


def call(key, name, method, *args, roles=None):
    op = {"key": key, "op": "call", "name": name, "method": method, "args": list(args)}
    if roles is not None:
        op["roles"] = roles
    return op


def bind(key, name, value):
    return {"key": key, "op": "bind", "name": name, "value": value}


def read(key, name):
    return {"key": key, "op": "read", "name": name}


def state(key, name):
    return {"key": key, "op": "state", "name": name}


def log(key):
    return {"key": key, "op": "log"}


def train(key, x, y, w0, b0, learning_rate, n_steps, seed):
    """The rubric's run: n_steps steps at the learning rate, on samples drawn as the hand-out draws them."""
    return {
        "key": key,
        "op": "train",
        "x": arg(x),
        "y": arg(y),
        "w0": w0,
        "b0": b0,
        "learning_rate": learning_rate,
        "n_steps": n_steps,
        "seed": seed,
    }


def replay(key, x, y, rates, w0, b0):
    """A loop's own steps again: each sample in turn, at the rate it was given."""
    return {"key": key, "op": "train", "x": arg(x), "y": arg(y), "rates": arg(rates), "w0": w0, "b0": b0}


def own_train(key, x, y, learning_rate, n_steps, seed):
    return {
        "key": key,
        "op": "own_train",
        "x": arg(x),
        "y": arg(y),
        "learning_rate": learning_rate,
        "n_steps": n_steps,
        "seed": seed,
    }
