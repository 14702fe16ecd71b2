"""Fraud alerts: every fraud transaction gets an outbox row per channel
(``AlertDelivery``) in the same database transaction as its batch
(``services``); Celery tasks send each row by id and a dispatcher queues
the due ones again (``tasks``), so an alert is delayed by an outage but
never lost; the signed webhook (``webhook``); the outbox in admin
(``admin``)."""
