"""The inputs every check runs on: seeded random values plus the edge cases students trip on."""

from dataclasses import dataclass

import numpy as np

from grader import homework


@dataclass(frozen=True)
class LayerCase:
    param: float | None  # w or b; None for my_exp
    x: float | np.ndarray
    grad: float | np.ndarray


@dataclass(frozen=True)
class Inputs:
    scalar: dict  # layer -> [LayerCase]: random, negative, zero and large inputs
    array: dict  # layer -> [LayerCase] on arrays of several shapes
    pairs: dict  # layer -> (LayerCase, LayerCase): two instances used interleaved
    curves: tuple  # (a, c) of the stand-in layers, for the composition checks
    composition_x: float
    losses: tuple  # (estimate, target) pairs for compute_loss
    learning_rate: float = 0.1  # large enough for the update to be measured exactly


EDGE_X = {"multiplication_weight": (-2.5, 0.0, 1e3), "add_bias": (-2.5, 0.0, 1e3), "my_exp": (-3.0, 0.0, 20.0)}
ARRAY_SHAPES = ((3,), (2, 3), (4, 1))


def make_inputs(seed):
    rng = np.random.default_rng(seed)

    def param(layer):
        return None if homework.LAYERS[layer] is None else round(float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1])), 4)

    def scalar(layer):
        xs = [round(float(x), 4) for x in rng.uniform(-2, 2, 3)] + list(EDGE_X[layer])
        return [LayerCase(param(layer), x, round(float(rng.uniform(0.5, 2.0)), 4)) for x in xs]

    def array(layer):
        return [LayerCase(param(layer), rng.uniform(-2, 2, shape), rng.uniform(-2, 2, shape)) for shape in ARRAY_SHAPES]

    layers = tuple(EDGE_X)
    return Inputs(
        scalar={layer: scalar(layer) for layer in layers},
        array={layer: array(layer) for layer in layers},
        pairs={layer: tuple(scalar(layer)[:2]) for layer in layers},
        curves=tuple(
            (round(float(rng.uniform(0.5, 1.5)), 4), round(float(rng.uniform(0.1, 0.5)), 4)) for _ in range(4)
        ),
        composition_x=round(float(rng.uniform(0.2, 0.8)), 4),
        losses=tuple((round(float(e), 4), round(float(t), 4)) for e, t in rng.uniform(-3, 3, (4, 2))),
    )
