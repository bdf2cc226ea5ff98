"""The usage and cost ledger: one SQLite row per settled ``/v1/messages`` request.

- :mod:`~cc_relay.ledger.paths`: where the database lives by default.
- :mod:`~cc_relay.ledger.store`: the schema, its migrations, and every SQL statement
  (sqlite3 only, so ``cc-relay statusline`` can use it without loading the relay).
- :mod:`~cc_relay.ledger.prices`: the built-in price table and the config's overrides.
- :mod:`~cc_relay.ledger.periods`: calendar days and months in the ledger's time zone.
- :mod:`~cc_relay.ledger.budgets`: spend per client key and provider key, per period.
- :mod:`~cc_relay.ledger.writer`: the writer thread (batched transactions, retries).
- :mod:`~cc_relay.ledger.recorder`: the event-stream subscriber that prices each
  ``RequestSettled`` and hands the row to the writer.
- :mod:`~cc_relay.ledger.query`: usage grouped by day, provider, model, key or session,
  for ``cc-relay usage`` and the management API.

Nothing here runs on the request path: the recorder is an event subscriber, and the
database is touched only by the writer thread (and by readers in other processes; WAL
mode lets them read while the relay writes).

This package's ``__init__`` imports nothing, so the status line loads only what it uses.
"""
