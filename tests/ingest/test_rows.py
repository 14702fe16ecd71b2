"""Rows into the transaction table by binary COPY: the types the COPY
declares are the table's own, and every kind of value comes back as it
went in, on the direct path and through the staging table."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.db import transaction as db_transaction

from transactions_app.ingest.rows import (
    COPY_TYPES,
    ROW_COLUMNS,
    insert_ignoring_existing,
)
from transactions_app.models import Transaction

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
REASONS = '[{"rule": "velocity", "description": "a\\\\b \\"q\\"\\n\\t é 𝄞"}]'


def row(**values) -> tuple:
    defaults = {
        "transaction_id": uuid.uuid4(),
        "source": "card-1",
        "target": "shop-1",
        "amount": Decimal("950.25"),
        "currency": "EUR",
        "timestamp": AT,
        "merchant_category": "",
        "channel": "",
        "country": "",
        "device_id": "",
        "ip": None,
        "received_at": AT,
        "outcome": "legit",
        "score": 0,
        "reasons": "[]",
        "rule_versions": "{}",
        "model_probability": None,
        "shadow_version": None,
        "shadow_probability": None,
        "review_status": "",
        "kafka_topic": "queuing.transactions",
        "kafka_partition": 0,
        "kafka_offset": 1,
    }
    return tuple((defaults | values)[column] for column in ROW_COLUMNS)


def test_the_copy_declares_the_tables_own_types():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_name = %s",
            [Transaction._meta.db_table],
        )
        table = dict(cursor.fetchall())
    assert set(COPY_TYPES) == set(ROW_COLUMNS)
    assert {column: table[column] for column in ROW_COLUMNS} == COPY_TYPES


def stored(rows: list[tuple]) -> set:
    with db_transaction.atomic():
        return insert_ignoring_existing(rows)


def test_every_kind_of_value_comes_back_as_it_went_in():
    tricky = row(
        amount=Decimal("99999999.99"),
        merchant_category="grocery",
        channel="card",
        country="DE",
        device_id="device-1",
        ip="2001:db8::7",
        outcome="fraud",
        score=100,
        reasons=REASONS,
        rule_versions='{"velocity": 3}',
        model_probability=np.float64(0.875),
        shadow_version=2,
        shadow_probability=0.125,
        review_status="new",
        kafka_partition=7,
        kafka_offset=2**40,
    )
    v4 = row(ip="192.0.2.1", amount=Decimal("0.01"))
    assert stored([tricky, v4]) == {tricky[0], v4[0]}
    back = Transaction.objects.get(transaction_id=tricky[0])
    assert back.amount == Decimal("99999999.99") and back.timestamp == AT
    assert back.reasons == [{"rule": "velocity", "description": 'a\\b "q"\n\t é 𝄞'}]
    assert back.rule_versions == {"velocity": 3}
    assert (back.ip, back.device_id, back.country) == ("2001:db8::7", "device-1", "DE")
    assert (back.model_probability, back.shadow_probability) == (0.875, 0.125)
    assert (back.kafka_partition, back.kafka_offset) == (7, 2**40)
    plain = Transaction.objects.get(transaction_id=v4[0])
    assert (plain.ip, plain.model_probability, plain.merchant_category) == (
        "192.0.2.1",
        None,
        "",
    )


def test_a_batch_with_a_stored_id_goes_through_the_staging_table():
    first = row(reasons=REASONS, ip="192.0.2.1")
    stored([first])
    again = row(transaction_id=first[0], kafka_offset=2)  # a redelivery
    new = row(reasons=REASONS, ip="2001:db8::1", kafka_offset=3)
    assert stored([again, new]) == {new[0]}
    back = Transaction.objects.get(transaction_id=new[0])
    assert back.reasons[0]["description"] == 'a\\b "q"\n\t é 𝄞'
    assert back.ip == "2001:db8::1"
    assert Transaction.objects.get(transaction_id=first[0]).kafka_offset == 1
