"""Rules as data: versions with four-eyes approval, account lists, backtests."""

from django.core.validators import RegexValidator
from django.db import models

from ..detection import ACCOUNT_PATTERN, RULE_TYPES
from ..detection import Outcome as VerdictOutcome
from .base import user_reference


class Rule(models.Model):
    """A named detection rule of one type. Its configuration lives in
    versions: every change is a new ``RuleVersion``, and at most one version
    of a rule is live at a time."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(
        "type",
        max_length=32,
        choices=[(kind, kind.replace("_", " ")) for kind in RULE_TYPES],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = user_reference()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """One configuration of a rule: parameters, weight, forced outcome and
    whether it is enabled, with who wrote it and who approved it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        LIVE = "live", "Live"
        RETIRED = "retired", "Replaced by a later version"
        REJECTED = "rejected", "Rejected"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    enabled = models.BooleanField(default=True)
    params = models.JSONField("parameters", default=dict)
    weight = models.PositiveIntegerField(default=0)
    force = models.CharField(
        "forced outcome",
        max_length=6,
        blank=True,
        choices=[("", "none")] + [(o.value, o.value) for o in VerdictOutcome],
    )
    description = models.TextField(blank=True)
    note = models.CharField("change note", max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    author = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = user_reference(help_text="Who approved or rejected this version.")
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rule__name", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "number"], name="rule_version_unique"
            ),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="live"),
                name="rule_one_live_version",
            ),
        ]
        permissions = [("approve_ruleversion", "Can approve or reject rule versions")]

    def __str__(self) -> str:
        return f"{self.rule.name} v{self.number} ({self.status})"


class AccountListEntry(models.Model):
    """An account on a list that rules consult (``block``, ``watch``, and
    ``merchant``: receivers known to be shops or otherwise trusted, never
    taken for a new receiver or a mule)."""

    class ListName(models.TextChoices):
        BLOCK = "block", "Block list"
        WATCH = "watch", "Watch list"
        MERCHANT = "merchant", "Known merchants"

    list_name = models.CharField("list", max_length=16, choices=ListName.choices)
    account = models.CharField(
        max_length=64,
        validators=[
            RegexValidator(
                rf"\A{ACCOUNT_PATTERN.pattern}\Z",
                "An account id is 1-64 letters, digits, '_', '.', ':' or '-', "
                "starting with a letter or digit, as in transactions.",
            )
        ],
    )
    note = models.CharField(max_length=200, blank=True)
    added_by = user_reference()
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["list_name", "account"]
        verbose_name = "account list entry"
        verbose_name_plural = "account lists"
        constraints = [
            models.UniqueConstraint(
                fields=["list_name", "account"], name="list_account_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} on the {self.list_name} list"


class Backtest(models.Model):
    """A run of a rule version over stored transactions, before approving
    it: how many it would flag, and how analysts judged those."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    version = models.ForeignKey(
        RuleVersion, on_delete=models.CASCADE, related_name="backtests"
    )
    days = models.PositiveIntegerField(default=7)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = user_reference()
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Transactions to replay.")
    processed = models.PositiveIntegerField(default=0)
    fired = models.PositiveIntegerField(default=0, help_text="Times this rule fired.")
    flagged = models.PositiveIntegerField(
        default=0, help_text="Transactions the rule set with this version would flag."
    )
    flagged_now = models.PositiveIntegerField(
        default=0, help_text="Of those, flagged by the rules in force when stored."
    )
    confirmed = models.PositiveIntegerField(
        default=0, help_text="Of those it would flag, confirmed as fraud by analysts."
    )
    dismissed = models.PositiveIntegerField(
        default=0, help_text="Of those it would flag, dismissed as false positives."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"backtest of {self.version} over {self.days} days ({self.status})"

    @property
    def progress(self) -> str:
        return f"{self.processed}/{self.total}" if self.total else "-"


class RuleFiresDay(models.Model):
    """How many of one day's legit transactions each rule fired on: the
    day's legit partition counted once the day is closed (a full day after
    it ended), so that the rules' statistics read these counts instead of
    every legit row of every day (``rules.fires``). A day whose partition
    takes a row after it was counted loses its count (the writer deletes
    it) until it is counted again; a day dropped by retention loses it
    with the partition."""

    day = models.DateField(unique=True, help_text="The UTC day of event time.")
    fired = models.JSONField(
        default=dict, help_text="Rule name to the legit transactions it fired on."
    )
    counted_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"rule fires of {self.day}"
