"""The stored record of every classified transaction."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from .detection import RULE_TYPES
from .detection import Outcome as VerdictOutcome
from .streaming.codec import ACCOUNT_PATTERN


def user_reference(**options) -> models.ForeignKey:
    """A link to the user who did something: optional, kept as empty when
    the user is deleted (the record outlives the account)."""
    options = {
        "null": True,
        "blank": True,
        "on_delete": models.SET_NULL,
        "related_name": "+",
    } | options
    return models.ForeignKey(settings.AUTH_USER_MODEL, **options)


class ReviewStatus(models.TextChoices):
    """Where an analyst's review of a flagged transaction stands."""

    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    CONFIRMED = "confirmed", "Confirmed fraud"
    FALSE_POSITIVE = "false_positive", "False positive"
    ESCALATED = "escalated", "Escalated"


class Transaction(models.Model):
    """One payment transaction, as received from Kafka and classified.

    ``transaction_id`` is unique: storing the same transaction twice (after
    a redelivery) is a no-op. The Kafka coordinates say where it was read.
    """

    class Outcome(models.TextChoices):
        LEGIT = VerdictOutcome.LEGIT.value, "Legit"
        REVIEW = VerdictOutcome.REVIEW.value, "Review"
        FRAUD = VerdictOutcome.FRAUD.value, "Fraud"

    FLAGGED_OUTCOMES = (Outcome.REVIEW, Outcome.FRAUD)

    transaction_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=64)
    target = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    timestamp = models.DateTimeField(
        db_index=True, help_text="Event time, as sent by the producer."
    )
    received_at = models.DateTimeField(
        help_text="When the detector read the message from Kafka."
    )
    outcome = models.CharField(max_length=6, choices=Outcome.choices)
    score = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(
        default=list, blank=True, help_text="One entry per rule that fired."
    )
    rule_versions = models.JSONField(
        default=dict, blank=True, help_text="Rule name to the version in force."
    )
    kafka_topic = models.CharField(max_length=249)
    kafka_partition = models.PositiveIntegerField()
    kafka_offset = models.PositiveBigIntegerField()
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the fraud alert was sent."
    )
    review_status = models.CharField(
        max_length=16,
        choices=ReviewStatus.choices,
        blank=True,
        help_text="Analyst review of a flagged transaction (empty for legit).",
    )
    assignee = user_reference(help_text="The analyst working on this case.")
    review_version = models.PositiveIntegerField(
        default=0,
        db_default=0,  # the detector inserts rows with COPY, outside the ORM
        help_text="Bumped by every review change; a change made on an older "
        "version is refused (two analysts at once).",
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["outcome", "-timestamp"], name="tx_outcome_time"),
            # Every index costs each insert of the stream, so only these:
            # plain btrees (no LIKE variants; searches are exact), and open
            # cases only for the review status, which is empty when legit.
            models.Index(fields=["source", "-timestamp"], name="tx_source_time"),
            models.Index(fields=["target"], name="tx_target"),
            models.Index(
                fields=["review_status"],
                name="tx_review_status",
                condition=~models.Q(review_status=""),
            ),
        ]
        permissions = [("review_transaction", "Can review flagged transactions")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.currency} ({self.outcome})"

    @property
    def is_flagged(self) -> bool:
        return self.outcome in self.FLAGGED_OUTCOMES


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
    """An account on a list that rules consult (``block``, ``watch``)."""

    class ListName(models.TextChoices):
        BLOCK = "block", "Block list"
        WATCH = "watch", "Watch list"

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


class DeadLetter(models.Model):
    """A message the detector could not accept, kept with why, so it can be
    fixed upstream and re-driven (sent to the input topic again).

    Kept bounded (``streaming.deadletters.fit_dead_letter``): a value over
    the validation limit, a very long key or too many headers are cut, and
    ``truncated`` says what; the size and digest describe the original."""

    error = models.TextField()
    topic = models.CharField(max_length=249)
    partition = models.PositiveIntegerField()
    offset = models.PositiveBigIntegerField()
    key = models.BinaryField(null=True, blank=True)
    value = models.BinaryField(null=True, blank=True)
    headers = models.JSONField(
        default=list, blank=True, help_text="Original headers, values in base64."
    )
    original_size = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Bytes of the whole original value."
    )
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the whole original value."
    )
    original_key_size = models.PositiveBigIntegerField(null=True, blank=True)
    headers_dropped = models.PositiveIntegerField(
        default=0, help_text="Original headers left out to fit the size budget."
    )
    truncated = models.CharField(
        max_length=32,
        blank=True,
        help_text="What of the original was cut to fit (value, key, headers); "
        "a truncated letter cannot be re-driven.",
    )
    received_at = models.DateTimeField()
    redriven_at = models.DateTimeField(null=True, blank=True)
    redriven_by = user_reference()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "partition", "offset"], name="deadletter_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}: {self.error[:60]}"

    @property
    def value_preview(self) -> str:
        data = bytes(self.value or b"")[:200]
        return data.decode("utf-8", errors="replace")

    @property
    def truncation_summary(self) -> str:
        """What was cut to fit, in words ("" when kept whole)."""
        parts = []
        if "value" in self.truncated:
            kept = len(self.value or b"")
            parts.append(f"value cut from {self.original_size:,} to {kept:,} bytes")
        if "key" in self.truncated:
            kept = len(self.key or b"")
            parts.append(f"key cut from {self.original_key_size:,} to {kept:,} bytes")
        if self.headers_dropped:
            parts.append(f"{self.headers_dropped} header(s) dropped")
        return "; ".join(parts)


class ReviewEvent(models.Model):
    """One step of a case's audit trail: who, when, from which status to
    which, the assignee after the step, and a note. Never changed."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="review_events"
    )
    actor = user_reference(blank=False)
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    assignee = user_reference()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} by {self.actor}"


class AlertDelivery(models.Model):
    """The outbox of fraud alerts: one row per fraud transaction and channel
    (e-mail, webhook), written in the transaction that stores the batch, so
    an alert exists as soon as its fraud does, whatever happens to Celery.

    A task claims a row for one attempt by taking a lease (``sending``
    until ``lease_until``); success marks it sent, a failure makes it
    pending again, due after a backoff, until no attempts are left. A lease
    that runs out (the worker died during the send) makes the row due
    again: at least once, so a receiver may see an alert twice. The
    dispatcher queues every row that is due (``due_at``).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (no attempts left)"

    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="alert_deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the dispatcher queues it (again) if nothing sent it.",
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="End of the current attempt's lease."
    )
    response_status = models.PositiveIntegerField(
        null=True, blank=True, help_text="HTTP status of the last answer, if any."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "channel"], name="one_alert_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="alert_delivery_open_due",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.channel} alert for {self.transaction.transaction_id} "
            f"({self.status})"
        )
