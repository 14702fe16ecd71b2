"""Typologies: money-laundering shapes over many payments and days, which
the streaming rules cannot see. A periodic scan (``scans``) finds them in
the stored payments, each becomes a finding reviewed like a case
(``services``, ``admin``); ``evaluation`` measures it on generated
laundering."""
