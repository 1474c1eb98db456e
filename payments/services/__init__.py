"""Writes for money, one module per concern: `ledger` (the append-only ledger and the sums
that lock and fee need), `manual` (bank transfer and cash), `refunds`, `checkout` (Stripe
Checkout) and `webhooks` (Stripe's events). The ledger changes only here, always in the
same transaction as the booking change it belongs to.

Stripe is called in two ways: opening a checkout happens inside the transaction that holds
the booking's row lock, before the payment row is written, so a Stripe failure rolls
everything back; refunds and closing checkouts happen after commit with idempotency keys,
and the timers retry them. A failure never leaves money and bookings disagreeing.
"""
