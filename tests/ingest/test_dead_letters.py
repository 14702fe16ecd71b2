"""Dead letters in the table: kept bounded, shown as truncated in admin,
and never re-driven when what is kept is not the message that came."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages

from transactions_app.ingest.services import dead_letters_store
from transactions_app.models import DeadLetter
from transactions_app.streaming.codec import MAX_MESSAGE_BYTES
from transactions_app.streaming.records import RejectedMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHANGELIST = "/admin/transactions_app/deadletter/"


def store(value: bytes, *, offset: int = 0, topic: str = "in", **fields) -> DeadLetter:
    item = RejectedMessage(
        topic=topic,
        partition=0,
        offset=offset,
        key=fields.get("key", b"k"),
        value=value,
        headers=tuple(fields.get("headers", [("trace", b"1")])),
        error=fields.get("error", "not JSON"),
        received_at=NOW,
    )
    dead_letters_store(rejected=[item])
    return DeadLetter.objects.get(topic=topic, offset=offset)


def test_a_value_at_the_validation_limit_is_stored_whole():
    value = b"x" * MAX_MESSAGE_BYTES
    letter = store(value)
    assert bytes(letter.value) == value
    assert (letter.truncated, letter.original_size) == ("", 65_536)
    assert letter.sha256 == hashlib.sha256(value).hexdigest()
    assert letter.truncation_summary == ""


def test_a_value_past_the_limit_is_stored_cut_with_its_size_and_digest():
    value = b"x" * 2_097_000
    letter = store(value, error="e\x00" * 2_000_000)
    assert bytes(letter.value) == value[:MAX_MESSAGE_BYTES]
    assert (letter.truncated, letter.original_size) == ("value", 2_097_000)
    assert letter.sha256 == hashlib.sha256(value).hexdigest()
    assert len(letter.error) == 1000
    assert letter.truncation_summary == "value cut from 2,097,000 to 65,536 bytes"


def test_a_long_key_and_many_headers_are_cut_and_said_so():
    letter = store(b"{}", key=b"k" * 5000, headers=[("h", b"x" * 1000)] * 20)
    assert letter.truncated == "key,headers"
    assert (len(letter.key), letter.original_key_size) == (4096, 5000)
    assert (len(letter.headers), letter.headers_dropped) == (16, 4)
    assert letter.truncation_summary == (
        "key cut from 5,000 to 4,096 bytes; 4 header(s) dropped"
    )


def test_admin_lists_what_was_cut_and_filters_on_it(admin_client):
    cut = store(b"x" * 70_000, offset=1)
    whole = store(b"junk", offset=2)
    response = admin_client.get(CHANGELIST)
    assert b"value cut from 70,000 to 65,536 bytes" in response.content
    detail = admin_client.get(f"{CHANGELIST}{cut.pk}/change/")
    assert b"value cut from 70,000 to 65,536 bytes" in detail.content
    response = admin_client.get(CHANGELIST, {"truncated__isempty": "1"})
    assert [d.pk for d in response.context["cl"].result_list] == [whole.pk]


def test_the_redrive_action_refuses_truncated_letters(
    admin_client, django_capture_on_commit_callbacks
):
    cut, whole = store(b"x" * 70_000, offset=1), store(b"junk", offset=2)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post(
            CHANGELIST,
            {"action": "redrive", "_selected_action": [cut.pk, whole.pk]},
            follow=True,
        )
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 dead letter(s) queued for re-drive." in texts
    assert any(t.startswith("1 dead letter(s) not re-driven") for t in texts)
    assert len(queued) == 1


def test_only_truncated_letters_selected_queue_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    cut = store(b"x" * 70_000)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_client.post(
            CHANGELIST, {"action": "redrive", "_selected_action": [cut.pk]}
        )
    assert queued == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_redrive_task_sends_whole_letters_and_skips_truncated_ones(
    kafka_topics, kafka
):
    from transactions_app.tasks import redrive_dead_letters

    cut, whole = store(b"x" * 70_000, offset=1), store(b"junk", offset=2)
    assert redrive_dead_letters.apply(args=[[cut.pk, whole.pk]]).get() == 1
    [sent] = kafka.read(kafka_topics.transactions, expected=1)
    assert sent.value() == b"junk"
    cut.refresh_from_db()
    whole.refresh_from_db()
    assert (cut.redriven_at, whole.redriven_at is not None) == (None, True)
