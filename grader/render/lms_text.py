"""The plain text the LMS reports (Gradescope, PrairieLearn) show a student: the submission's summary
and each check's feedback. Shared by their renderers, which only arrange it in each LMS's JSON."""


def shown_now(check):
    """The rubric's visibility: only a visible check may be described before the LMS releases the rest,
    so the summary, which the student always sees, says nothing about the others."""
    return check.visibility == "visible"


def summary(result):
    """Score, what is wrong and where, notes: about the checks shown now only."""
    shown = [c for c in result.checks if shown_now(c)]
    lines = [score_line(result, shown)]
    diagnoses = diagnoses_about(result, {c.id for c in shown})
    if diagnoses:
        lines += ["", "What is wrong, and where:"] + [line for d in diagnoses for line in diagnosis_lines(d)]
    if result.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in result.notes]
    return "\n".join(lines)


def score_line(result, shown):
    if len(shown) == len(result.checks):
        return f"Score: {result.score:g} / {result.max_score:g}"
    # the total would give away how the checks not shown yet went
    earned, possible = (round(sum(getattr(c, key) for c in shown), 6) for key in ("score", "max_score"))
    return f"Visible checks: {earned:g} / {possible:g} (the other checks are shown when the course releases them)"


def diagnoses_about(result, check_ids):
    """Diagnoses of those checks, and those of the whole file (named with no check, e.g. at import)."""
    return [d for d in result.diagnoses if not d.checks or check_ids.intersection(d.checks)]


def diagnosis_lines(diagnosis):
    where = f"{diagnosis.where}: " if diagnosis.where else ""
    return [f"- {where}{diagnosis.title} [{diagnosis.id}]", f"    {diagnosis.hint}"]


def check_feedback(result, check):
    """The check's message (observed vs expected values), then what each bug it showed means."""
    return "\n".join(filter(None, [check.message, diagnoses_feedback(result, check)]))


def diagnoses_feedback(result, check):
    by_id = {d.id: d for d in result.diagnoses}
    return "\n".join(line for did in check.diagnoses if did in by_id for line in diagnosis_lines(by_id[did]))
