"""How hard the property tests try: the whole suite runs each at its full
count; ``make test-fast`` loads the ``quick`` Hypothesis profile, which
tries a tenth as many examples, to keep the working loop short."""

from hypothesis import settings

FULL_PROFILE_EXAMPLES = 100  # Hypothesis's own default profile
settings.register_profile("quick", max_examples=FULL_PROFILE_EXAMPLES // 10)


def examples(full: int) -> int:
    """``full`` under the default profile, scaled down under ``quick``; read
    when the test module is imported, after the profile has been loaded."""
    return max(1, full * settings.default.max_examples // FULL_PROFILE_EXAMPLES)
