"""The diagnosis ids of DESIGN.md: the stable contract between rubric, reports and tests."""

BEHAVIOURAL = (
    "loss-grad-sign", "loss-grad-scale", "loss-value", "mul-grad-w-missing-x", "mul-returns-grad-w",
    "exp-backward-missing-local-grad", "step-assign", "step-ascent", "composition-forward-order",
    "composition-backward-order", "composition-backward-no-chain", "composition-fixed-arity",
    "shared-state", "missing-cache", "scalar-only", "mutates-input", "loop-order", "loop-loss-args",
    "grad-accumulates",
)
# named from what happened (an exception, a parse error, a limit), not by comparison with a mutant
FROM_ERRORS = ("not-implemented", "missing-definition", "syntax-error", "timeout", "memory-limit", "crash")
DIAGNOSIS_IDS = BEHAVIOURAL + FROM_ERRORS

ERROR_TYPES = {"NotImplementedError": "not-implemented", "MissingDefinition": "missing-definition",
               "SyntaxError": "syntax-error", "SystemExit": "crash", "KeyboardInterrupt": "crash",
               "MemoryError": "memory-limit", "Timeout": "timeout"}
