"""Card payments end to end: our services and webhook view against the loopback FakeStripe,
through the real stripe library. Every test checks the rows written (Payment, the ledger,
WebhookEvent, BookingEvent), the booking's state and what reached Stripe."""
