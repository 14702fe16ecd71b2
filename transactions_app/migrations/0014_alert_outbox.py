"""Webhook deliveries become the alert outbox: one row per fraud
transaction and channel, with when it is due and the lease of the attempt
in progress. Existing rows are webhook deliveries; one left "sending" (its
worker died) gets a lease that has run out, so it is sent again. Fraud
transactions whose e-mail alert was never sent (``alerted_at`` empty: the
alert was lost) get their e-mail row, due at once, and their webhook row
when ``ALERT_WEBHOOK_URL`` is set."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def fill_the_outbox(apps, schema_editor):
    """Expire the leases of interrupted webhook sends; add the e-mail rows
    of fraud never alerted."""
    Transaction = apps.get_model("transactions_app", "Transaction")
    AlertDelivery = apps.get_model("transactions_app", "AlertDelivery")
    AlertDelivery.objects.filter(status="sending").update(
        lease_until=django.utils.timezone.now()
    )
    channels = ["email", "webhook"] if settings.ALERT_WEBHOOK_URL else ["email"]
    unsent = Transaction.objects.filter(outcome="fraud", alerted_at__isnull=True)
    for pks in _chunks(unsent.values_list("pk", flat=True).iterator(), 1000):
        AlertDelivery.objects.bulk_create(
            [
                AlertDelivery(transaction_id=pk, channel=channel)
                for pk in pks
                for channel in channels
            ],
            ignore_conflicts=True,
        )


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0013_dead_letter_truncation")]

    operations = [
        migrations.RenameModel("WebhookDelivery", "AlertDelivery"),
        migrations.AlterModelOptions(
            name="alertdelivery", options={"ordering": ["-created_at", "-id"]}
        ),
        migrations.AlterField(
            model_name="alertdelivery",
            name="transaction",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alert_deliveries",
                to="transactions_app.transaction",
            ),
        ),
        migrations.AddField(
            model_name="alertdelivery",
            name="channel",
            field=models.CharField(
                choices=[("email", "E-mail"), ("webhook", "Webhook")],
                default="webhook",
                max_length=8,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="alertdelivery",
            name="due_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the dispatcher queues it (again) if nothing sent it.",
            ),
        ),
        migrations.AddField(
            model_name="alertdelivery",
            name="lease_until",
            field=models.DateTimeField(
                blank=True, help_text="End of the current attempt's lease.", null=True
            ),
        ),
        migrations.AddConstraint(
            model_name="alertdelivery",
            constraint=models.UniqueConstraint(
                fields=("transaction", "channel"), name="one_alert_per_channel"
            ),
        ),
        migrations.AddIndex(
            model_name="alertdelivery",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"])),
                fields=["due_at"],
                name="alert_delivery_open_due",
            ),
        ),
        migrations.RunPython(fill_the_outbox, migrations.RunPython.noop),
    ]
