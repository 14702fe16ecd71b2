"""The alert outbox in admin: listed for those allowed, never edited."""

import pytest

from tests.factories import stored_transaction
from transactions_app.models import AlertDelivery

pytestmark = pytest.mark.django_db


def test_deliveries_are_listed_and_read_only(admin_client):
    tx = stored_transaction("fraud")
    delivery = AlertDelivery.objects.create(
        transaction=tx,
        channel="webhook",
        status="failed",
        attempts=6,
        last_error="HTTP 500 <b>x</b>",
    )
    listing = admin_client.get("/admin/transactions_app/alertdelivery/")
    assert listing.status_code == 200
    assert str(tx.transaction_id) in listing.content.decode()
    assert "HTTP 500 &lt;b&gt;x&lt;/b&gt;" in listing.content.decode()
    page = admin_client.get(
        f"/admin/transactions_app/alertdelivery/{delivery.pk}/change/"
    )
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    add = admin_client.get("/admin/transactions_app/alertdelivery/add/")
    assert add.status_code == 403
    delete = admin_client.post(
        f"/admin/transactions_app/alertdelivery/{delivery.pk}/delete/",
        {"post": "yes"},
    )
    assert delete.status_code == 403
    assert AlertDelivery.objects.filter(pk=delivery.pk).exists()


def test_both_channels_of_a_fraud_are_listed_and_filtered_by_channel(admin_client):
    """Each row of the outbox shows its channel and status; the channel
    filter keeps one of them."""
    tx = stored_transaction("fraud")
    AlertDelivery.objects.create(transaction=tx, channel="email", status="sent")
    AlertDelivery.objects.create(transaction=tx, channel="webhook", attempts=2)
    url = "/admin/transactions_app/alertdelivery/"
    listing = admin_client.get(url).content.decode()
    assert listing.count(str(tx.transaction_id)) >= 2
    assert "E-mail" in listing and "Waiting to be sent" in listing
    emails = admin_client.get(url, {"channel__exact": "email"})
    assert emails.context["cl"].result_count == 1
    assert emails.context["cl"].result_list[0].channel == "email"


def test_analysts_do_not_see_deliveries(client, django_user_model):
    from django.contrib.auth.models import Group

    analyst = django_user_model.objects.create_user("ana", is_staff=True)
    analyst.groups.add(Group.objects.get(name="Analyst"))
    client.force_login(analyst)
    assert client.get("/admin/transactions_app/alertdelivery/").status_code == 403
