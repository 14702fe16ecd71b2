"""Analyst review of flagged transactions: statuses, audit trail,
assignment and optimistic locking (``services``), the case page's form
(``forms``), the transactions in admin with filters and a list that stays
fast at volume (``admin``, ``filters``, ``changelist``), the next-case
button and the statistics page (``views``), per-rule precision
(``selectors``), SLA escalation (``tasks``)."""
