"""A space of complete, correct submissions of the homework in many styles, and the same
submissions with exactly one known mistake made in the style's own terms.

`Style` is a set of independent choices a student makes (where a layer keeps its state and in
which type, how compute_loss is written and called, how my_composition loops, the shape of the
training loop); `styles()` draws them with hypothesis; `source(style, bug=None)` writes the
whole .py file. With bug=None the file is correct: its own train() ends near w = 0.505,
b = 1.997. With bug=ID (one of BUGS) the same file has that one mistake.

Nothing here reads the grader: it is the ground truth the grader is tested against.
"""

from dataclasses import dataclass

from hypothesis import strategies as st

STATES = ("usual", "other", "dict", "tuple", "property")
DTYPES = ("float", "npscalar", "array0d", "float32")
# (name of the estimate, name of the target); the last is the 2019 hand-out's, where the
# estimate is called y and the target y_est
LOSS_NAMES = (("y_est", "y_target"), ("y_pred", "y_true"), ("a", "b"), ("guess", "truth"), ("y", "y_est"))
GRAD_FORMS = ("2 * (e - t)", "-2 * (t - e)", "2 * e - 2 * t")
LOOPS = ("for", "reversed", "while", "reduce", "recursive")
RETURNS_WITH_LISTS = ("tuple", "list")
RETURNS_WITHOUT_LISTS = ("pair", "fit")
EXP_CACHES = ("output", "input")
TRAIN_LOOPS = ("for", "while")

BUGS = (
    "loss-grad-sign",
    "loss-grad-scale",
    "loss-value",
    "mul-grad-w-missing-x",
    "mul-returns-grad-w",
    "exp-backward-missing-local-grad",
    "step-assign",
    "step-ascent",
    "composition-forward-order",
    "composition-backward-order",
    "composition-backward-no-chain",
    "composition-fixed-arity",
    "shared-state",
    "missing-cache",
    "scalar-only",
    "mutates-input",
    "loop-order",
    "loop-loss-args",
    "grad-accumulates",
)
FIXED_ARITY = 3  # the one list of layers a fixed-arity composition handles: the homework's


@dataclass(frozen=True)
class Style:
    state: str = "usual"  # STATES: self.w/self.grad; self.weight/self.dw/self.inp; dicts; a tuple; a property
    dtype: str = "float"  # DTYPES: what the parameters are stored as (float32: all the layer's arithmetic)
    loss_names: int = 0  # index into LOSS_NAMES
    estimate_first: bool = True  # compute_loss(estimate, target) or compute_loss(target, estimate)
    keyword_call: bool = False  # train() calls compute_loss with keywords
    grad_form: int = 0  # index into GRAD_FORMS
    loops: str = "reversed"  # LOOPS: how my_composition goes through its layers
    keep_lists: bool = True  # train() keeps ws and bs
    returns: str = "tuple"  # RETURNS_WITH_LISTS when keep_lists, else RETURNS_WITHOUT_LISTS
    progress: bool = False  # train() prints the loss every 1000 steps
    exp_cache: str = "output"  # EXP_CACHES: my_exp saves exp(x), or x and recomputes exp in backward
    grads_in_init: bool = False  # __init__ sets the parameter's gradient to 0
    layer_refs: bool = False  # train() keeps its own names for the layers (weight.w) or reads my_fit.layers[0]
    train_loop: str = "for"  # TRAIN_LOOPS

    def __post_init__(self):
        allowed = RETURNS_WITH_LISTS if self.keep_lists else RETURNS_WITHOUT_LISTS
        assert self.returns in allowed, (self.keep_lists, self.returns)

    def describe(self):
        estimate, target = LOSS_NAMES[self.loss_names]
        first, second = (estimate, target) if self.estimate_first else (target, estimate)
        return (
            f"state={self.state} dtype={self.dtype} compute_loss({first}, {second}) "
            f"[estimate={estimate}] {'keyword' if self.keyword_call else 'positional'} call, "
            f"grad {GRAD_FORMS[self.grad_form]}, loops={self.loops}, lists={self.keep_lists}, "
            f"returns={self.returns}, progress={self.progress}, exp caches {self.exp_cache}, "
            f"grads_in_init={self.grads_in_init}, layer_refs={self.layer_refs}, train_loop={self.train_loop}"
        )


@st.composite
def styles(draw):
    keep_lists = draw(st.booleans())
    return Style(
        state=draw(st.sampled_from(STATES)),
        dtype=draw(st.sampled_from(DTYPES)),
        loss_names=draw(st.integers(0, len(LOSS_NAMES) - 1)),
        estimate_first=draw(st.booleans()),
        keyword_call=draw(st.booleans()),
        grad_form=draw(st.integers(0, len(GRAD_FORMS) - 1)),
        loops=draw(st.sampled_from(LOOPS)),
        keep_lists=keep_lists,
        returns=draw(st.sampled_from(RETURNS_WITH_LISTS if keep_lists else RETURNS_WITHOUT_LISTS)),
        progress=draw(st.booleans()),
        exp_cache=draw(st.sampled_from(EXP_CACHES)),
        grads_in_init=draw(st.booleans()),
        layer_refs=draw(st.booleans()),
        train_loop=draw(st.sampled_from(TRAIN_LOOPS)),
    )


def source(style, bug=None):
    """The complete submission, correct (bug=None) or with the one mistake `bug` (an id of BUGS)."""
    if bug is not None and bug not in BUGS:
        raise ValueError(f"no injection for {bug!r}")
    return _Writer(style, bug).module()


def _indent(lines, level):
    return ["    " * level + line if line else "" for line in lines]


class _Writer:
    def __init__(self, style, bug):
        self.s = style
        self.bug = bug
        self.f32 = style.dtype == "float32"
        # a loop that steps before backward, and gradients that accumulate, need gradients from __init__
        self.grads_in_init = style.grads_in_init or bug in ("loop-order", "grad-accumulates")

    # the pieces of state, in the style's terms

    def convert(self, value):
        return {
            "float": f"float({value})",
            "npscalar": f"np.float64({value})",
            "array0d": f"np.array({value}, dtype=float)",
            "float32": f"np.float32({value})",
        }[self.s.dtype]

    def param(self, p):
        """The expression reading parameter p ("w" or "b") inside its layer."""
        return {
            "usual": f"self.{p}",
            "property": f"self.{p}",
            "other": f"self.{self.other_param(p)}",
            "dict": f'self.params["{p}"]',
            "tuple": "self.state[0]",
        }[self.s.state]

    def grad(self, p):
        return {
            "usual": "self.grad",
            "property": "self.grad",
            "other": f"self.d{p}",
            "dict": f'self.grads["{p}"]',
            "tuple": "self.state[1]",
        }[self.s.state]

    @staticmethod
    def other_param(p):
        return {"w": "weight", "b": "bias"}[p]

    def cache(self, what):
        """(owner attribute, how backward reads it) of a value forward saves: "x" for
        multiplication_weight, "out" or "in" for my_exp."""
        if self.s.state == "dict":
            return "cache", f'self.cache["{what}"]'
        attr = {
            "usual": {"x": "x", "out": "output", "in": "x"},
            "property": {"x": "x", "out": "output", "in": "x"},
            "other": {"x": "inp", "out": "cache", "in": "cache"},
            "tuple": {"x": "saved_x", "out": "saved", "in": "saved"},
        }[self.s.state][what]
        return attr, f"self.{attr}"

    def save_cache(self, cls, what, value):
        """The statement forward saves with (on the class for shared-state), or none (missing-cache)."""
        if self.bug == "missing-cache":
            return []
        owner = cls if self.bug == "shared-state" else "self"
        attr, _ = self.cache(what)
        if self.s.state == "dict":
            return [f'{owner}.cache = {{"{what}": {value}}}']
        return [f"{owner}.{attr} = {value}"]

    # layers with a parameter

    def param_init(self, p):
        value = self.convert(p)
        if self.s.state == "usual":
            return [f"self.{p} = {value}"] + (["self.grad = 0"] if self.grads_in_init else [])
        if self.s.state == "property":
            return [f"self.{p} = {value}  # through the setter"] + (["self.grad = 0"] if self.grads_in_init else [])
        if self.s.state == "other":
            return [f"self.{self.other_param(p)} = {value}"] + ([f"self.d{p} = 0"] if self.grads_in_init else [])
        if self.s.state == "dict":
            return [
                f'self.params = {{"{p}": {value}}}',
                f'self.grads = {{"{p}": 0}}' if self.grads_in_init else "self.grads = {}",
            ]
        return [f"self.state = ({value}, {0 if self.grads_in_init else None})  # ({p}, its gradient)"]

    def property_lines(self, p):
        if self.s.state != "property":
            return []
        return [
            "",
            "@property",
            f"def {p}(self):",
            f"    return self._{p}",
            "",
            f"@{p}.setter",
            f"def {p}(self, value):",
            f"    self._{p} = value",
        ]

    def set_grad(self, p, expr):
        """The statements saving the parameter's gradient `expr` (grad-accumulates adds it, for w)."""
        accumulate = self.bug == "grad-accumulates" and p == "w"
        if self.s.state == "tuple":
            if accumulate:
                return [f"{p}, {p}_grad = self.state", f"self.state = ({p}, {p}_grad + {expr})"]
            return [f"{p}, _ = self.state", f"self.state = ({p}, {expr})"]
        return [f"{self.grad(p)} {'+=' if accumulate else '='} {expr}"]

    def step(self, p):
        lr = "np.float32(learning_rate)" if self.f32 else "learning_rate"
        bug = self.bug if self.bug in ("step-assign", "step-ascent") else None
        if self.s.state == "tuple":
            cur, g = p, f"{p}_grad"
            pre = [f"{p}, {p}_grad = self.state"]
        else:
            cur, g = self.param(p), self.grad(p)
            pre = []
        new = {None: f"{cur} - {lr} * {g}", "step-ascent": f"{cur} + {lr} * {g}", "step-assign": f"{lr} * {g}"}[bug]
        if self.f32:
            new = f"np.float32({new})"
        if self.s.state == "tuple":
            return pre + [f"self.state = ({new}, {g})"]
        if self.s.dtype in ("array0d", "float32"):  # rebinding: ws must not alias one 0-d array
            return [f"{cur} = {new}"]
        op = {None: "-=", "step-ascent": "+=", "step-assign": "="}[bug]
        return [f"{cur} {op} {lr} * {g}"]

    def mul_class(self):
        p = "w"
        init = self.param_init(p)
        forward = []
        if self.bug == "mutates-input":
            if self.f32:
                forward += ["x32 = np.float32(x)"] + self.save_cache("multiplication_weight", "x", "x32")
            else:
                forward += self.save_cache("multiplication_weight", "x", "x")
            forward += [f"x *= {self.param(p)}", "return np.float32(x)" if self.f32 else "return x"]
        else:
            if self.f32:
                forward.append("x = np.float32(x)")
            forward += self.save_cache("multiplication_weight", "x", "x")
            factor = "float(x)" if self.bug == "scalar-only" else "x"
            if self.f32 and self.bug == "scalar-only":
                factor = "np.float32(float(x))"
            forward.append(f"return {self.param(p)} * {factor}")
        _, x = self.cache("x")
        backward = ["grad = np.float32(grad)"] if self.f32 else []
        backward += self.set_grad(p, "grad" if self.bug == "mul-grad-w-missing-x" else f"grad * {x}")
        w = "w" if self.s.state == "tuple" else self.param(p)  # set_grad unpacked the tuple into w
        backward.append(f"return grad * {x}" if self.bug == "mul-returns-grad-w" else f"return grad * {w}")
        return self.layer_class("multiplication_weight", p, init, forward, backward, self.step(p))

    def bias_class(self):
        p = "b"
        forward = [f"return np.float32(x) + {self.param(p)}" if self.f32 else f"return x + {self.param(p)}"]
        backward = ["grad = np.float32(grad)"] if self.f32 else []
        backward += self.set_grad(p, "grad") + ["return grad"]
        return self.layer_class("add_bias", p, self.param_init(p), forward, backward, self.step(p))

    def layer_class(self, name, p, init, forward, backward, step):
        lines = [f"class {name}:", f"    def __init__(self, {p}):"] + _indent(init, 2)
        lines += _indent(self.property_lines(p), 1)
        lines += ["", "    def forward(self, x):"] + _indent(forward, 2)
        lines += ["", "    def backward(self, grad):"] + _indent(backward, 2)
        lines += ["", "    def step(self, learning_rate):"] + _indent(step, 2)
        return lines

    def exp_class(self):
        exp = "math.exp" if self.bug == "scalar-only" else "np.exp"
        forward = ["x = np.float32(x)"] if self.f32 else []
        what = "out" if self.s.exp_cache == "output" else "in"
        _, saved = self.cache(what)
        if what == "out":
            if self.bug == "missing-cache":
                forward.append(f"return {exp}(x)")
            else:
                forward += [f"out = {exp}(x)"] + self.save_cache("my_exp", what, "out") + ["return out"]
            local = saved
        else:
            forward += self.save_cache("my_exp", what, "x") + [f"return {exp}(x)"]
            local = f"{exp}({saved})"
        backward = ["grad = np.float32(grad)"] if self.f32 else []
        backward.append("return grad" if self.bug == "exp-backward-missing-local-grad" else f"return grad * {local}")
        lines = ["class my_exp:", "    # no parameter", "", "    def forward(self, x):"] + _indent(forward, 2)
        lines += ["", "    def backward(self, grad):"] + _indent(backward, 2)
        lines += ["", "    def step(self, learning_rate):", "        pass  # nothing to learn"]
        return lines

    # the composition

    def layers_attr(self):
        return "ops" if self.s.state == "other" else "layers"

    def loss_grad_store(self):
        """Where compute_loss saves the loss gradient (the tuple style keeps the pair instead)."""
        return {"usual": "self.grad", "property": "self.grad", "other": "self.dloss", "dict": 'self.grads["loss"]'}.get(
            self.s.state
        )

    def loss_gradient(self, e, t):
        form = GRAD_FORMS[self.s.grad_form]
        if self.bug == "loss-grad-sign":
            form = {0: "2 * (t - e)", 1: "-2 * (e - t)", 2: "2 * t - 2 * e"}[self.s.grad_form]
        elif self.bug == "loss-grad-scale":
            form = {0: "(e - t)", 1: "-(t - e)", 2: "e - t"}[self.s.grad_form]
        return form.replace("e", "\0").replace("t", t).replace("\0", e)

    def composition_class(self):
        s, layers = self.s, f"self.{self.layers_attr()}"
        estimate, target = LOSS_NAMES[s.loss_names]
        first, second = (estimate, target) if s.estimate_first else (target, estimate)
        init = [f"{layers} = tuple(layers)" if s.state == "tuple" else f"{layers} = layers"]
        if s.state == "dict":
            init.append("self.grads = {}")
        value = f"{estimate} - {target}" if self.bug == "loss-value" else f"({estimate} - {target}) ** 2"
        if s.state == "tuple":  # the pair is kept; backward works the gradient out from it
            loss = [f"self.state = ({estimate}, {target})", f"return {value}"]
            e, t = "estimate", "target"
            start = [f"{e}, {t} = self.state", f"grad = {self.loss_gradient(e, t)}"]
        else:
            store = self.loss_grad_store()
            loss = [f"{store} = {self.loss_gradient(estimate, target)}", f"return {value}"]
            start = [f"grad = {store}"]
        lines = ["class my_composition:", "    def __init__(self, layers):"] + _indent(init, 2)
        lines += ["", "    def forward(self, x):"] + _indent(self.forward_loop(layers), 2)
        lines += [
            "",
            f"    def compute_loss(self, {first}, {second}):",
            f"        # {estimate} is what the network estimated, {target} the target",
        ] + _indent(loss, 2)
        lines += ["", "    def backward(self):"] + _indent(start + self.backward_loop(layers), 2)
        lines += [
            "",
            "    def step(self, learning_rate):",
            f"        for layer in {layers}:",
            "            layer.step(learning_rate)",
        ]
        if s.loops == "recursive":
            lines += _indent(self.recursive_helpers(layers), 1)
        return lines

    def forward_loop(self, layers):
        loops, bug = self.s.loops, self.bug
        if bug == "composition-fixed-arity":
            n = FIXED_ARITY
            return {
                "for": [f"for i in range({n}):", f"    x = {layers}[i].forward(x)", "return x"],
                "reversed": [
                    "first, second, third = " + layers,
                    "return third.forward(second.forward(first.forward(x)))",
                ],
                "while": ["i = 0", f"while i < {n}:", f"    x = {layers}[i].forward(x)", "    i += 1", "return x"],
                "reduce": [f"return functools.reduce(lambda out, i: {layers}[i].forward(out), range({n}), x)"],
                "recursive": ["return self._forward_from(0, x)"],
            }[loops]
        backwards = bug == "composition-forward-order"
        if loops in ("for", "reversed"):
            order = (f"{layers}[::-1]" if loops == "for" else f"reversed({layers})") if backwards else layers
            return [f"for layer in {order}:", "    x = layer.forward(x)", "return x"]
        if loops == "while":
            if backwards:
                return [
                    f"i = len({layers}) - 1",
                    "while i >= 0:",
                    f"    x = {layers}[i].forward(x)",
                    "    i -= 1",
                    "return x",
                ]
            return ["i = 0", f"while i < len({layers}):", f"    x = {layers}[i].forward(x)", "    i += 1", "return x"]
        if loops == "reduce":
            order = f"reversed({layers})" if backwards else layers
            return [f"return functools.reduce(lambda out, layer: layer.forward(out), {order}, x)"]
        return [f"return self._forward_from(len({layers}) - 1, x)" if backwards else "return self._forward_from(0, x)"]

    def backward_loop(self, layers):
        loops, bug = self.s.loops, self.bug
        if bug == "composition-fixed-arity":
            n = FIXED_ARITY
            return {
                "for": [f"for i in range({n} - 1, -1, -1):", f"    grad = {layers}[i].backward(grad)", "return grad"],
                "reversed": [
                    "first, second, third = " + layers,
                    "return first.backward(second.backward(third.backward(grad)))",
                ],
                "while": [
                    f"i = {n} - 1",
                    "while i >= 0:",
                    f"    grad = {layers}[i].backward(grad)",
                    "    i -= 1",
                    "return grad",
                ],
                "reduce": [
                    f"return functools.reduce(lambda g, i: {layers}[i].backward(g), reversed(range({n})), grad)"
                ],
                "recursive": [f"return self._backward_from({n} - 1, grad)"],
            }[loops]
        in_order = bug == "composition-backward-order"
        chain = bug != "composition-backward-no-chain"
        if loops in ("for", "reversed"):
            order = layers if in_order else (f"{layers}[::-1]" if loops == "for" else f"reversed({layers})")
            body = "    grad = layer.backward(grad)" if chain else "    layer.backward(grad)"
            return [f"for layer in {order}:", body, "return grad"]
        if loops == "while":
            call = f"    grad = {layers}[i].backward(grad)" if chain else f"    {layers}[i].backward(grad)"
            if in_order:
                return ["i = 0", f"while i < len({layers}):", call, "    i += 1", "return grad"]
            return [f"i = len({layers}) - 1", "while i >= 0:", call, "    i -= 1", "return grad"]
        if loops == "reduce":
            order = layers if in_order else f"reversed({layers})"
            step = "layer.backward(g)" if chain else "[layer.backward(g), g][1]"
            return [f"return functools.reduce(lambda g, layer: {step}, {order}, grad)"]
        return [
            "return self._backward_from(0, grad)"
            if in_order
            else f"return self._backward_from(len({layers}) - 1, grad)"
        ]

    def recursive_helpers(self, layers):
        bug = self.bug
        n = str(FIXED_ARITY) if bug == "composition-fixed-arity" else f"len({layers})"
        if bug == "composition-forward-order":
            forward = [
                "def _forward_from(self, i, x):",
                "    if i < 0:",
                "        return x",
                f"    return self._forward_from(i - 1, {layers}[i].forward(x))",
            ]
        else:
            forward = [
                "def _forward_from(self, i, x):",
                f"    if i == {n}:",
                "        return x",
                f"    return self._forward_from(i + 1, {layers}[i].forward(x))",
            ]
        if bug == "composition-backward-order":
            backward = [
                "def _backward_from(self, i, grad):",
                f"    if i == len({layers}):",
                "        return grad",
                f"    return self._backward_from(i + 1, {layers}[i].backward(grad))",
            ]
        elif bug == "composition-backward-no-chain":
            backward = [
                "def _backward_from(self, i, grad):",
                "    if i < 0:",
                "        return grad",
                f"    {layers}[i].backward(grad)",
                "    return self._backward_from(i - 1, grad)",
            ]
        else:
            backward = [
                "def _backward_from(self, i, grad):",
                "    if i < 0:",
                "        return grad",
                f"    return self._backward_from(i - 1, {layers}[i].backward(grad))",
            ]
        return [""] + forward + [""] + backward

    # the training loop

    def read_param(self, holder, p):
        return {
            "usual": f"{holder}.{p}",
            "property": f"{holder}.{p}",
            "other": f"{holder}.{self.other_param(p)}",
            "dict": f'{holder}.params["{p}"]',
            "tuple": f"{holder}.state[0]",
        }[self.s.state]

    def loss_call(self, est_var):
        """The training loop's compute_loss call, in the style's order and form (swapped for loop-loss-args)."""
        s = self.s
        estimate, target = LOSS_NAMES[s.loss_names]
        swapped = self.bug == "loop-loss-args"
        if s.keyword_call:
            given = {estimate: "yy[j]", target: est_var} if swapped else {estimate: est_var, target: "yy[j]"}
            first, second = (estimate, target) if s.estimate_first else (target, estimate)
            return f"my_fit.compute_loss({first}={given[first]}, {second}={given[second]})"
        args = [est_var, "yy[j]"] if s.estimate_first != swapped else ["yy[j]", est_var]
        return f"my_fit.compute_loss({', '.join(args)})"

    def build_model(self):
        """The lines that build my_fit, and the expressions that read its w and b."""
        if self.s.layer_refs:
            return (
                [
                    "weight = multiplication_weight(1)",
                    "bias = add_bias(1)",
                    "my_fit = my_composition([weight, bias, my_exp()])",
                ],
                self.read_param("weight", "w"),
                self.read_param("bias", "b"),
            )
        attr = self.layers_attr()
        return (
            ["my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])"],
            self.read_param(f"my_fit.{attr}[0]", "w"),
            self.read_param(f"my_fit.{attr}[1]", "b"),
        )

    def step_lines(self, w_of, b_of, keep_losses):
        s = self.s
        est_var = "y_hat" if s.keyword_call else "y_est"
        step = [
            "j = np.random.randint(1, len(xx))",
            f"{est_var} = my_fit.forward(xx[j])",
            f"loss = {self.loss_call(est_var)}",
        ] + (["losses.append(loss)"] if keep_losses else [])
        update = ["my_fit.backward()", "my_fit.step(learning_rate)"]
        step += update[::-1] if self.bug == "loop-order" else update
        if s.keep_lists:
            step += [f"ws.append({w_of})", f"bs.append({b_of})"]
        if s.progress:
            step += ["if i % 1000 == 0:", f'    print("step", i, "loss", loss, "w", {w_of}, "b", {b_of})']
        return step + (["i += 1"] if s.train_loop == "while" else [])

    def train_function(self):
        s = self.s
        body, w_of, b_of = self.build_model()
        keep_losses = s.returns != "fit"
        body += (["losses = []"] if keep_losses else []) + (["ws = []", "bs = []"] if s.keep_lists else [])
        body += ["for i in range(n_steps):"] if s.train_loop == "for" else ["i = 0", "while i < n_steps:"]
        body += _indent(self.step_lines(w_of, b_of, keep_losses), 1)
        body.append(
            {
                "tuple": "return my_fit, losses, ws, bs",
                "list": "return [my_fit, losses, ws, bs]",
                "pair": "return my_fit, losses",
                "fit": "return my_fit",
            }[s.returns]
        )
        return ["def train(xx, yy, learning_rate=1e-4, n_steps=5000):"] + _indent(body, 1)

    def module(self):
        imports = []
        if self.s.loops == "reduce":
            imports.append("import functools")
        if self.bug == "scalar-only":
            imports.append("import math")
        imports.append("import numpy as np")
        lines = (
            ['"""Homework: backprop by hand."""']
            + sorted(imports)
            + ["", "xx = np.arange(0, 1, 0.01)", "yy = np.exp(0.5 * xx + 2)", "", ""]
        )
        for part in (
            self.bias_class(),
            self.mul_class(),
            self.exp_class(),
            self.composition_class(),
            self.train_function(),
        ):
            lines += part + ["", ""]
        return "\n".join(lines).rstrip() + "\n"


def trained(style, namespace, n_steps=5000, seed=0):
    """Runs the submission's own train() (trusted: the source is ours) and returns (w, b) of the
    model it trained, read where the style keeps them."""
    import numpy as np

    np.random.seed(seed)
    returned = namespace["train"](namespace["xx"], namespace["yy"], 1e-4, n_steps)
    my_fit = returned if style.returns == "fit" else returned[0]
    writer = _Writer(style, None)
    attr = writer.layers_attr()
    w = eval(writer.read_param(f"my_fit.{attr}[0]", "w"), {"my_fit": my_fit})
    b = eval(writer.read_param(f"my_fit.{attr}[1]", "b"), {"my_fit": my_fit})
    return float(w), float(b)
