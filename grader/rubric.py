"""Loading the rubric: YAML data (points, tolerances, visibility, feedback), validated before use."""

from dataclasses import dataclass
from pathlib import Path

from grader.homework.checks import CHECK_IDS, all_checks
from grader.check import Tolerance
from grader.diagnosis import diagnosis_ids
from grader.sandbox import Limits

DEFAULT_RUBRIC = Path(__file__).resolve().parent.parent / "rubrics" / "backprop.yaml"
VISIBILITIES = ["visible", "hidden", "after_due_date", "after_published"]


class RubricError(Exception):
    """A rubric that cannot be used; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class CheckSpec:
    id: str
    name: str
    points: float
    visibility: str
    feedback: str
    tolerance: Tolerance | None
    aspects: dict | None = None  # aspect id -> points, for a check scored aspect by aspect


@dataclass(frozen=True)
class DiagnosisText:
    title: str
    hint: str


@dataclass(frozen=True)
class Rubric:
    path: str
    assignment: str
    total: float
    seed: int
    handout_seed: int
    handout_start: dict  # {"w": …, "b": …}: where the hand-out's checker starts training.convergence's run
    limits: Limits
    tolerance: Tolerance
    fd_tolerance: Tolerance
    fd_step: float
    training: dict
    checks: dict  # id -> CheckSpec, in the rubric's order
    diagnoses: dict  # id -> DiagnosisText


def _number(minimum=None, exclusive=False):
    schema = {"type": "number"}
    if minimum is not None:
        schema["exclusiveMinimum" if exclusive else "minimum"] = minimum
    return schema


def _object(properties, required=None):
    return {
        "type": "object",
        "properties": properties,
        "required": list(required or properties),
        "additionalProperties": False,
    }


TOLERANCE = _object({"rtol": _number(0), "atol": _number(0)})
POINT = _object({"w": _number(), "b": _number()})
TRAINING = {
    "w0": _number(),
    "b0": _number(),
    "learning_rate": _number(0, True),
    "n_steps": {"type": "integer", "minimum": 1},
    "protocol_steps": {"type": "integer", "minimum": 1},
    "target": POINT,
    "tolerance": _number(0, True),
    "path_tolerance": _number(0, True),
}
TEXT = {"type": "string", "minLength": 1}
SCHEMA = _object(
    {
        "assignment": TEXT,
        "total": _number(0, exclusive=True),
        "seed": {"type": "integer", "minimum": 0},
        "handout_seed": {"type": "integer", "minimum": 0},
        "handout_start": POINT,
        "limits": _object(
            {
                "check_seconds": _number(0, True),
                "cpu_seconds": _number(0, True),
                "load_seconds": _number(0, True),
                "notebook_seconds": _number(0, True),
                "cell_seconds": _number(0, True),
                "total_seconds": _number(0, True),
                "disk_mb": {"type": "integer", "minimum": 1},
                "memory_mb": {"type": "integer", "minimum": 64},
                "file_size_mb": {"type": "integer", "minimum": 1},
                "processes": {"type": "integer", "minimum": 1},
                "output_kb": {"type": "integer", "minimum": 1},
            }
        ),
        "tolerance": TOLERANCE,
        "finite_differences": _object({"step": _number(0, True), "rtol": _number(0), "atol": _number(0)}),
        "training": _object(
            {**TRAINING, "run_start": POINT},
            required=list(TRAINING),  # run_start: the hand-out's checker's (grader.handout)
        ),
        "checks": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": _object(
                {
                    "name": TEXT,
                    "points": _number(0),
                    "visibility": {"enum": VISIBILITIES},
                    "feedback": TEXT,
                    "tolerance": TOLERANCE,
                    "aspects": {"type": "object", "additionalProperties": _number(0)},
                },
                required=["name", "points", "visibility", "feedback"],
            ),
        },
        "diagnoses": {"type": "object", "additionalProperties": _object({"title": TEXT, "hint": TEXT})},
    }
)


def load(path=None):
    path = Path(path or DEFAULT_RUBRIC)
    return build(read(path), path)


def read(path):
    """The rubric's data as its YAML file holds it, validated."""
    import yaml  # here: the hand-out's checker reads its rubric as JSON, without yaml or jsonschema

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RubricError(f"{path}: cannot read the rubric ({error.strerror or error})") from None
    try:  # libyaml's parser where PyYAML has it: seven times faster, the same data
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        try:  # the pure-Python parser words its errors better ("found undefined alias 'w'")
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RubricError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    validate(data, path)
    return data


def validate(data, path):
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise RubricError(f"{path}: {key}: {error.message}")
    if data["handout_seed"] == data["seed"]:
        raise RubricError(
            f"{path}: handout_seed: must differ from seed (the hand-out would be the graded run's answer key)"
        )
    unknown_checks = [c for c in data["checks"] if c not in CHECK_IDS]
    if unknown_checks:
        raise RubricError(f"{path}: checks.{unknown_checks[0]}: unknown check id (known: {', '.join(CHECK_IDS)})")
    for cid, spec in data["checks"].items():
        validate_aspects(cid, spec, path)
    unknown = [d for d in data["diagnoses"] if d not in diagnosis_ids()]
    if unknown:
        raise RubricError(f"{path}: diagnoses.{unknown[0]}: unknown diagnosis id")
    missing = [d for d in diagnosis_ids() if d not in data["diagnoses"]]
    if missing:
        raise RubricError(f"{path}: diagnoses.{missing[0]}: missing (every diagnosis needs a title and a hint)")
    points = sum(spec["points"] for spec in data["checks"].values())
    if abs(points - data["total"]) > 1e-9:
        raise RubricError(f"{path}: checks: the points add up to {points:g}, but total is {data['total']:g}")


def validate_aspects(cid, spec, path):
    if "aspects" not in spec:
        return
    known = set(all_checks()[cid].aspects)
    if set(spec["aspects"]) != known:
        raise RubricError(f"{path}: checks.{cid}.aspects: must give points to exactly {', '.join(sorted(known))}")
    if abs(sum(spec["aspects"].values()) - spec["points"]) > 1e-9:
        raise RubricError(
            f"{path}: checks.{cid}.aspects: add up to {sum(spec['aspects'].values()):g}, "
            f"but the check has {spec['points']:g} points"
        )


def build(data, path):
    fd = data["finite_differences"]
    return Rubric(
        path=str(path),
        assignment=data["assignment"],
        total=float(data["total"]),
        seed=data["seed"],
        handout_seed=data["handout_seed"],
        handout_start=data["handout_start"],
        limits=Limits(**data["limits"]),
        tolerance=Tolerance(**data["tolerance"]),
        fd_tolerance=Tolerance(fd["rtol"], fd["atol"]),
        fd_step=fd["step"],
        training=data["training"],
        checks={
            cid: CheckSpec(
                cid,
                spec["name"],
                float(spec["points"]),
                spec["visibility"],
                spec["feedback"],
                Tolerance(**spec["tolerance"]) if "tolerance" in spec else None,
                spec.get("aspects"),
            )
            for cid, spec in data["checks"].items()
        },
        diagnoses={did: DiagnosisText(**text) for did, text in data["diagnoses"].items()},
    )
