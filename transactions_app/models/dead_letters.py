"""Messages the detector rejected, kept with why, for re-drive."""

from django.db import models

from .base import user_reference


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
