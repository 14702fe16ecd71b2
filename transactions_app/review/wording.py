"""What the case page says of a verdict, in sentences a reviewer reads
rather than the JSON it is stored as.

Plain strings only: the admin inserts them into HTML as text (escaped),
so a rule description or an observed value holding markup stays text.
"""

from collections.abc import Mapping

_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def duration_words(seconds: int) -> str:
    """``seconds`` in the largest unit it is a whole number of ("10
    minutes", "1 day"), else in seconds."""
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def reason_sentence(reason: Mapping) -> str:
    """One reason of a verdict (``Reason.as_dict``, as stored) as a
    sentence: what the rule looks for, what it observed against its
    threshold and over which window, and what it added to the score (or
    the outcome it forced), with the rule's name and version last, for
    whoever tunes it. Keys a stored reason lacks are left out."""
    rule = reason.get("rule") or "a rule"
    what = (reason.get("description") or "").strip().rstrip(".") or rule
    sentence = f"{what}: observed {reason.get('observed', '?')}"
    if reason.get("threshold"):
        sentence += f" (threshold {reason['threshold']})"
    if reason.get("window"):
        sentence += f" over the last {duration_words(int(reason['window']))}"
    sentence += f". {_effect(reason)}"
    version = f" v{reason['version']}" if reason.get("version") is not None else ""
    return f"{sentence} ({rule}{version})"


def _effect(reason: Mapping) -> str:
    if reason.get("force"):
        return f"Forces the outcome {reason['force']}."
    score = reason.get("score") or 0
    return f"Adds {score} point{'' if score == 1 else 's'} to the score."


def rule_versions_words(versions: Mapping[str, int]) -> str:
    """The rule versions in force for a verdict, "name v1, other v3", by
    name."""
    if not versions:
        return "none recorded"
    return ", ".join(f"{name} v{number}" for name, number in sorted(versions.items()))
