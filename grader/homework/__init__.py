"""The homework: fit y = exp(w·x + b) by SGD, one sample per step, with layers written by hand.

This package is the one place that knows the exercise: the classes students write, the parameter
each layer holds, the model the hand-out builds and trains, the training loop's name and length,
where its catalogue of bugs is, the checks (grader.homework.checks) with their inputs (.inputs) and
the grader's own stand-in layers (.standins). The solution and its mutants live in
`reference/` (named here), which no child process can read. The engine in grader/ reads every
name from here and names none itself (tests/test_anatomy.py).

This module is plain data: the sandboxed child imports it before it is confined.
"""

LAYERS = {"add_bias": "b", "multiplication_weight": "w", "my_exp": None}  # each layer class: its parameter
COMPOSITION = "my_composition"  # the class that chains the layers, computes the loss and trains
GRADED = (*LAYERS, COMPOSITION)  # the classes a submission must define
HANDED_OUT = ("add_bias",)  # given complete in the hand-out: its checks are a student's reminder to keep it
MODEL = ("multiplication_weight", "add_bias", "my_exp")  # the hand-out's model, in order: exp(w·x + b)
PARAMETERS = {layer: name for layer, name in LAYERS.items() if name}  # the layers whose parameter the loop trains
PROBES = {"multiplication_weight": 1.0, "add_bias": 0.0}  # forward(probe) is the parameter itself: w·1, 0 + b

LOOP = "train"  # the student's own training function (in a notebook: the cell that trains the model)
LOOP_STEPS = 5000  # the steps the hand-out's training loop takes
TRAINING_RUN = "training.convergence"  # the check whose run of the rubric's training the reports plot

CHECKER = "backprop_check"  # the hand-out's checker, which its notebook imports (make handout)

REFERENCE = "reference.backprop"  # the solution: trusted, run in the grader's process only
MUTANTS = "reference.mutants"  # the catalogue of bugs, each a small edit of the solution: their ids are
# the bugs named by behaviour (the same behaviour on the same inputs)

# compute_loss's argument order is decided from the student's loop (training.protocol) and checked
# on its gradient (the check below); where neither the loop nor the names settle it, these stay unnamed
LOSS_ORDER_CHECKS = ("training.protocol", "my_composition.compute_loss.grad")
AMBIGUOUS_LOSS_IDS = ("loss-grad-sign", "loop-loss-args")
AMBIGUOUS_LOSS_NOTE = (
    "compute_loss's gradient would be right if your loop passed it the estimate and the target the other "
    "way round: either the loop swaps them or the gradient has the wrong sign, and the parameter names do "
    "not say which argument is the estimate. Name them (y_est, y_target, say) and make the two agree."
)
