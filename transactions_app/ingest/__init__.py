"""What the detector writes, and what becomes of it: a batch stored with
its dead letters and alert outbox rows in one database transaction
(``services``), the history a detector restores its windows from
(``selectors``), the retention purge and dead-letter re-drive (``tasks``),
dead letters in admin (``admin``)."""
