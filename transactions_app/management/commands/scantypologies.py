import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from transactions_app.management.arguments import iso_time, positive_int
from transactions_app.typologies.services import ScanResult, typologies_scan_period

MAX_DAYS = 366


class Command(BaseCommand):
    help = (
        "Scan the stored payments for money-laundering shapes (cycles, "
        "scatter-gather, gather-scatter, fan-in, fan-out) and record each "
        "new one as a finding to review."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=positive_int("--days"),
            default=None,
            help="How many days of event time to scan, up to --until "
            f"(default TYPOLOGY_SCAN_DAYS; at most {MAX_DAYS}).",
        )
        parser.add_argument(
            "--until",
            type=iso_time("--until"),
            default=None,
            help="The end of the period, an ISO 8601 time (default now).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print each finding of this scan (new or found again) as "
            "one JSON object a line: typology, accounts, transaction ids, "
            "explanation.",
        )

    def handle(self, *args, days, until, json, **options):
        days = days or settings.TYPOLOGY_SCAN_DAYS
        if days > MAX_DAYS:
            raise CommandError(f"--days must be at most {MAX_DAYS}: {days}")
        result = typologies_scan_period(days=days, until=until or timezone.now())
        if json:
            for finding in result.findings:
                self.stdout.write(orjson.dumps(finding_line(finding)).decode())
        else:
            self.stdout.write(summary(result, days))


def finding_line(finding) -> dict:
    return {
        "id": finding.pk,
        "typology": finding.typology,
        "status": finding.review_status,
        "accounts": finding.accounts,
        "transaction_ids": finding.transaction_ids,
        "amount": str(finding.amount),
        "currency": finding.currency,
        "explanation": finding.explanation,
    }


def summary(result: ScanResult, days: int) -> str:
    return (
        f"Scanned {days} days: {result.created} new findings, "
        f"{result.updated} open ones found again, {result.decided} decided "
        "ones found again (left as decided)."
    )
