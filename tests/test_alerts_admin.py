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


def test_analysts_do_not_see_deliveries(client, django_user_model):
    from django.contrib.auth.models import Group

    analyst = django_user_model.objects.create_user("ana", is_staff=True)
    analyst.groups.add(Group.objects.get(name="Analyst"))
    client.force_login(analyst)
    assert client.get("/admin/transactions_app/alertdelivery/").status_code == 403
