"""Which argument of compute_loss is the estimate, as its parameter names say it: the fallback when
no loop of the student's shows it (grader.grading decides by behaviour first)."""

import re

TEMPLATE_ORDER = ("estimate", "target")
SWAPPED_ORDER = ("target", "estimate")
# word stems, matched at the start of each word of a name (y_estimated: "y", "estimated")
ESTIMATE_STEMS = ("est", "pred", "hat", "yhat", "out", "guess", "model", "fit", "approx", "fx", "calc", "comp")
TARGET_STEMS = (
    "target",
    "true",
    "truth",
    "real",
    "actual",
    "obs",
    "label",
    "data",
    "gt",
    "ref",
    "expect",
    "meas",
    "sample",
    "tgt",
)
TARGET_WORDS = ("y", "yt", "t")  # whole names, or followed by an index: y_i, y_j, t_n
ESTIMATE_WORDS = ("f", "fx", "h", "yh")  # f(x), h(x): the model's output, alone or with an argument: f_xi
INDEX_WORDS = ("i", "j", "k", "n", "x", "xi", "xj")


def role_of(name):
    """ "estimate", "target" or None, from one parameter name."""
    name = name.lower()
    words = [w for w in re.split(r"[_\d]+", name) if w]
    if words and all(w in INDEX_WORDS for w in words[1:]):  # y_i (a sample's target), f_xi (the model at x_i)
        if words[0] in TARGET_WORDS:
            return "target"
        if words[0] in ESTIMATE_WORDS:
            return "estimate"
    estimate = any(w.startswith(ESTIMATE_STEMS) for w in words)
    target = any(w.startswith(TARGET_STEMS) for w in words)
    return "estimate" if estimate and not target else "target" if target and not estimate else None


def named_order(params):
    """The roles of compute_loss's first two parameters (self excluded) as their names say them,
    or None when the names do not say (a, b) or contradict each other (y_est, y_pred)."""
    first, second = (list(map(role_of, params)) + [None, None])[:2]
    says = {
        TEMPLATE_ORDER: first == "estimate" or second == "target",
        SWAPPED_ORDER: first == "target" or second == "estimate",
    }
    said = [order for order, yes in says.items() if yes]
    return said[0] if len(said) == 1 else None


def loss_order(params):
    """The roles as the names say them; the template's order when they do not."""
    return named_order(params) or TEMPLATE_ORDER
