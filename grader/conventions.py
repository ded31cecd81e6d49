"""Which argument of compute_loss is the estimate: read from the parameter names."""

ESTIMATE_NAMES = {"y_est", "y_estimate", "y_pred", "y_predicted", "y_hat", "yhat", "y_est_", "estimate",
                  "est", "pred", "prediction", "predicted", "output", "out", "y_out", "y_model", "fx"}
TARGET_NAMES = {"y", "y_target", "y_true", "y_real", "y_obs", "y_data", "target", "true", "label",
                "labels", "truth", "y_label", "yt", "y_t", "ground_truth"}
TEMPLATE_ORDER = ("estimate", "target")


def loss_order(params):
    """The roles of compute_loss's first two parameters (self excluded); the template's order by default."""
    first, second = ([p.lower() for p in params] + ["", ""])[:2]
    if first in ESTIMATE_NAMES or second in TARGET_NAMES and first not in TARGET_NAMES:
        return TEMPLATE_ORDER
    if first in TARGET_NAMES or second in ESTIMATE_NAMES:
        return ("target", "estimate")
    return TEMPLATE_ORDER
