"""Django admin: every concept registers its own models from its package's
``admin`` module; importing them here is what registers them."""

from .alerts import admin as alerts_admin  # noqa: F401  (the alert outbox)
from .ingest import admin as ingest_admin  # noqa: F401  (dead letters)
from .review import admin as review_admin  # noqa: F401  (transactions, cases)
from .rules import admin as rules_admin  # noqa: F401  (rules, lists, backtests)
from .scoring import admin as scoring_admin  # noqa: F401  (model versions)
from .typologies import admin as typologies_admin  # noqa: F401  (findings)
