"""The case page's parts, as HTML built with ``format_html``: every value
(a reason's description, an account id, a note) inserted as text, and the
chart's data in a JSON script element, never as markup. The admin's
read-only fields call them (``admin.TransactionAdmin``)."""

from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html, format_html_join, json_script

from .filters import QueueFilter
from .queues import QUEUES
from .selectors import ACTIVITY_AFTER_CASE, account_recent_activity, case_activity
from .wording import reason_sentence


def network_url(account: str, moment) -> str:
    """The money-flow network page of ``account`` over the month up to a
    day after ``moment`` (as the activity chart)."""
    query = urlencode(
        {
            "account": account,
            "until": (moment + ACTIVITY_AFTER_CASE).isoformat(timespec="seconds"),
        }
    )
    return f"{reverse('transactions_app:network')}?{query}"


def queue_of(request) -> dict | None:
    """The work queue a case page was opened from (admin keeps the list's
    filters in ``_changelist_filters``): ``{"name", "label"}``, or None."""
    filters = QueryDict(request.GET.get("_changelist_filters", ""))
    name = filters.get(QueueFilter.parameter_name)
    return {"name": name, "label": QUEUES[name]} if name in QUEUES else None


def explanation_html(case) -> str:
    """Each reason as a sentence (``wording.reason_sentence``), inserted
    as text."""
    if not case.reasons:
        return "No rule fired."
    return format_html(
        '<ul class="reasons">{}</ul>',
        format_html_join(
            "", "<li>{}</li>", ((reason_sentence(r),) for r in case.reasons)
        ),
    )


def linked_cases_html(cases: list) -> str:
    """The other open cases on this case's payer or receiver
    (``linked_open_cases``), each a link to its page."""
    if not cases:
        return "None."
    return format_html(
        "<table><tr><th>Time</th><th>Transaction</th><th>Source → target</th>"
        "<th>Amount</th><th>Outcome</th><th>Status</th></tr>{}</table>",
        format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{} → {}</td>'
            "<td>{} {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    t.timestamp.isoformat(timespec="seconds"),
                    reverse("admin:transactions_app_transaction_change", args=[t.pk]),
                    t.transaction_id,
                    t.source,
                    t.target,
                    t.amount,
                    t.currency,
                    t.outcome,
                    t.get_review_status_display(),
                )
                for t in cases
            ),
        ),
    )


def findings_html(findings: list) -> str:
    """The typology findings the case's payment is part of
    (``findings_with_payment``), each a link to its page."""
    if not findings:
        return "None."
    return format_html(
        '<table class="case-findings"><tr><th>Found</th><th>Typology</th>'
        "<th>Explanation</th><th>Status</th></tr>{}</table>",
        format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    f.found_at.isoformat(timespec="minutes"),
                    reverse(
                        "admin:transactions_app_typologyfinding_change", args=[f.pk]
                    ),
                    f.get_typology_display(),
                    f.explanation,
                    f.get_review_status_display(),
                )
                for f in findings
            ),
        ),
    )


def activity_chart_html(case) -> str:
    """The payer's and the receiver's payments over the month up to a
    day after the case, flagged ones marked, and links to their
    money-flow networks. The data goes in a JSON script element
    (``case_activity``) that ``activity.js`` draws; nothing of it is
    markup."""
    return format_html(
        '<div class="activity-charts">'
        '<div class="activity-chart" id="activity-payer" role="img" '
        'aria-label="Payments the payer sent over time"></div>'
        '<div class="activity-chart" id="activity-receiver" role="img" '
        'aria-label="Payments the receiver received over time"></div>'
        "</div>{}"
        '<p class="network-links">Money-flow network: '
        '<a href="{}">the payer\'s</a> · <a href="{}">the receiver\'s</a></p>',
        json_script(case_activity(case=case), "activity-data"),
        network_url(case.source, case.timestamp),
        network_url(case.target, case.timestamp),
    )


def source_activity_html(case) -> str:
    """What the payer sent up to the case: its totals over the last hour
    and day and its last payments."""
    activity = account_recent_activity(account=case.source, before=case.timestamp)
    hour, day = activity["hour"], activity["day"]
    return format_html(
        "<p>Last hour: {} transactions, {} in total. Last day: {}, {}.</p>"
        "<table><tr><th>Time</th><th>Target</th><th>Amount</th><th>Outcome</th>"
        "</tr>{}</table>",
        hour["count"],
        f"{hour['total'] or 0:.2f}",
        day["count"],
        f"{day['total'] or 0:.2f}",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
            (
                (
                    t.timestamp.isoformat(timespec="seconds"),
                    t.target,
                    t.amount,
                    t.currency,
                    t.outcome,
                )
                for t in activity["recent"]
            ),
        ),
    )
