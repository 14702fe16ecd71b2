"""Rules as data: versions in the database, approval by a second person,
account lists, and the live rule set a running detector reloads."""
