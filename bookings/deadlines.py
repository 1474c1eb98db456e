"""Deadlines in words, for the party reading them: "Pete Provider has until Tue 2 Dec, 07:46 CET
to answer — 47 hours left", "You have until … to pay". The facts come from the state machine
(`waiting_of`, the timers' own deadline); this module only words them. Times are in the site's
time zone (settings.TIME_ZONE, the zone the booking pages show every time but the gig's), with
its abbreviation, so a reader elsewhere can tell."""

import datetime as dt

from django.utils import dateformat, timezone

from bookings.state_machine import PaymentMethod, Role, State, Waiting


def when(at: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "Tue 2 Dec, 07:46 CET"; with the year when it is not this year's."""
    local = timezone.localtime(at)
    this_year = timezone.localtime(now or timezone.now()).year
    return dateformat.format(local, "D j M, H:i T" if local.year == this_year else "D j M Y, H:i T")


def time_left(at: dt.datetime, now: dt.datetime) -> str:
    """Whole minutes, hours or days left, rounded down: never more time than there is."""
    seconds = (at - now).total_seconds()
    if seconds <= 0:
        return "the time is up"
    for unit, size, below in (("minute", 60, 3600), ("hour", 3600, 72 * 3600), ("day", 86400, None)):
        if below is None or seconds < below:
            count = max(1, int(seconds // size))
            return f"{count} {unit}{'' if count == 1 else 's'} left"
    raise AssertionError("unreachable")


def _task(booking, waiting: Waiting, reader: str) -> str:
    """What the waiting party must do, said to `reader` ("client", "provider" or "staff")."""
    mine = waiting.party == reader
    if booking.state == State.OFFERED:
        if mine:
            return "accept or decline the offer"
        return "answer your offer" if reader == "provider" else "answer the offer"
    if booking.state == State.ACCEPTED:
        if booking.payment_method == PaymentMethod.STRIPE:
            return "pay"
        if reader == "client":
            return "confirm your payment, so pay before then"
        return f"confirm the payment from {booking.client.display_name}" if mine else "confirm the payment"
    return "answer"


def deadline_words(*, booking, waiting: Waiting, reader: str, now: dt.datetime | None = None) -> str:
    """One sentence without a full stop. With `now`, how long is left too (pages); without, just
    the time (emails and the inbox, read later than they are written)."""
    if waiting.party == reader:
        who = "You have"
    else:
        party = booking.client if waiting.party == Role.CLIENT else booking.provider
        who = f"{party.display_name} has"
    words = f"{who} until {when(waiting.at, now)} to {_task(booking, waiting, reader)}"
    return f"{words} — {time_left(waiting.at, now)}" if now is not None else words
