"""The earnings page, its CSV and the monthly statement of fees on manual bookings: every sum
checked against the ledger, for card bookings (held, then paid out after the window) and for
bookings paid to the provider directly."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user, session_queries
from bookings.models import Booking
from bookings.services import booking_transition
from bookings.tests.factories import at, make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.earnings import earnings_of, fee_statement_of, movements_between
from payments.models import PaymentEvent
from payments.selectors import booking_money
from payments.services.manual import manual_refund_mark_sent
from payments.services.payouts import payouts_release
from payments.tests.stripe_flow.helpers import PRICE, Kind

pytestmark = pytest.mark.django_db
FEE = PRICE // 10
MANUAL_PRICE = 80_000
UTC = dt.UTC


@pytest.fixture(autouse=True)
def ten_percent(settings):
    settings.PLATFORM_FEE_PERCENT = 10


@pytest.fixture
def completed(book, pay, act, provider):
    """A card booking paid in full and completed by the provider after the gig."""
    payment = pay(book(days=20))
    booking = payment.booking
    booking.refresh_from_db()
    return act(booking, "complete", provider, now=booking.starts_at + dt.timedelta(hours=1))


@pytest.fixture
def direct_provider(db):
    """A provider without a Stripe account: clients pay them directly."""
    return make_user("dora@example.com", "Dora Direct", role=Role.PROVIDER)


def manual_completed(provider, client, *, price: int = MANUAL_PRICE, title: str = "Jazz trio") -> Booking:
    service = make_service(provider, title=title, price_minor=price)
    booking = make_booking(client=client, service=service, to_state="completed")
    assert booking.payment_method == "manual"
    return booking


def fees_of(movements, booking) -> int:
    return sum(m.fee for m in movements if m.booking.pk == booking.pk)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- Sums against the ledger -------------------------------------------------------------------


def test_a_card_booking_is_held_with_its_release_date_then_paid_out(completed, provider, fake_stripe):
    now = timezone.now()
    held = earnings_of(provider, now=now)
    (totals,) = held.totals
    assert (totals.paid_by_card, totals.paid_directly, totals.refunds) == (PRICE, 0, 0)
    assert (totals.held, totals.paid_out, totals.fees_card) == (PRICE - FEE, 0, FEE)
    (upcoming,) = held.upcoming
    assert upcoming.release_at == completed.payout_release_at  # the date the timers use
    assert upcoming.hold.amount_minor == PRICE - FEE
    assert payouts_release(now=upcoming.release_at - dt.timedelta(minutes=1)) == 0

    assert payouts_release(now=completed.payout_release_at) == 1
    tasks_run()
    paid = earnings_of(provider, now=now)
    (totals,) = paid.totals
    assert (totals.held, totals.paid_out, totals.fees) == (0, PRICE - FEE, FEE)
    assert paid.upcoming == []
    money = booking_money(completed)
    assert totals.paid_out == sum(e.amount_minor for e in money.entries if e.kind == Kind.PAID_OUT)
    assert fees_of(paid.movements, completed) == money.fee == FEE
    this_month = paid.months["EUR"][-1]
    assert this_month.month == now.astimezone(UTC).date().replace(day=1)
    assert (this_month.paid, this_month.fees, this_month.paid_out) == (PRICE, FEE, PRICE - FEE)
    bars = {bar.series: bar.height for bar in paid.charts[0].bars[-3:]}
    assert bars["paid"] > bars["paid_out"] > bars["fees"] > 0


def test_a_partial_refund_lowers_the_fee_as_the_booking_page_does(book, pay, act, client_user, provider):
    booking = pay(book(days=10)).booking  # a client cancelling 7-13 days ahead gets half back
    booking.refresh_from_db()
    booking = act(booking, "cancel", client_user)
    money = booking_money(booking)
    assert money.refunds == PRICE // 2
    data = earnings_of(provider, now=timezone.now())
    (totals,) = data.totals
    assert totals.refunds == PRICE // 2
    assert totals.fees == money.fee == fees_of(data.movements, booking) == FEE // 2
    (line,) = data.bookings
    assert (line.paid, line.refunds, line.fee, line.net) == (PRICE, PRICE // 2, money.fee, money.payout)


def test_manual_bookings_count_as_paid_directly_with_the_fee_invoiced(direct_provider, client_user):
    booking = manual_completed(direct_provider, client_user)
    data = earnings_of(direct_provider, now=timezone.now())
    (totals,) = data.totals
    assert (totals.paid_directly, totals.paid_by_card, totals.held, totals.paid_out) == (MANUAL_PRICE, 0, 0, 0)
    assert totals.fees_manual == booking_money(booking).fee == MANUAL_PRICE // 10
    assert data.upcoming == []


def test_a_manual_booking_refunded_in_full_owes_no_fee(direct_provider, client_user, client):
    service = make_service(direct_provider, title="Cancelled gig", price_minor=MANUAL_PRICE)
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))
    booking_transition(booking=booking, action="cancel", actor=client_user)  # 30 days ahead: a full refund
    data = earnings_of(direct_provider, now=timezone.now())
    (totals,) = data.totals
    assert (totals.paid_directly, totals.refunds, totals.fees) == (MANUAL_PRICE, MANUAL_PRICE, 0)
    month = timezone.now().astimezone(UTC)
    assert fee_statement_of(direct_provider, year=month.year, month=month.month).lines == []
    client.force_login(direct_provider)
    assert "Refund for you to send" in client.get(reverse("payments:earnings")).content.decode()
    due = PaymentEvent.objects.get(payment__booking=booking, kind=Kind.REFUND_DUE)
    manual_refund_mark_sent(due=due, actor=direct_provider)
    text = client.get(reverse("payments:earnings")).content.decode()
    assert "Refund for you to send" not in text and "Refunded" in text


def test_one_providers_earnings_never_show_anothers(completed, direct_provider, client_user, provider):
    manual_completed(direct_provider, client_user)
    assert {m.booking.provider_id for m in earnings_of(provider, now=timezone.now()).movements} == {provider.pk}
    assert {m.booking.provider_id for m in earnings_of(direct_provider, now=timezone.now()).movements} == {
        direct_provider.pk
    }


def test_each_currency_has_its_own_totals_and_months(direct_provider, client_user):
    manual_completed(direct_provider, client_user, price=10_000, title="Berlin gig")
    service = make_service(direct_provider, title="London gig", price_minor=20_000, currency="GBP")
    make_booking(client=client_user, service=service, to_state="completed")
    data = earnings_of(direct_provider, now=timezone.now())
    assert [(t.currency, t.paid_directly, t.fees_manual) for t in data.totals] == [
        ("EUR", 10_000, 1_000),
        ("GBP", 20_000, 2_000),
    ]
    assert [c.currency for c in data.charts] == ["EUR", "GBP"]
    assert data.months["GBP"][-1].paid == 20_000


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_totals_upcoming_payout_chart_and_table_in_few_queries(
    completed, provider, client, django_assert_num_queries, settings
):
    client.force_login(provider)
    with django_assert_num_queries(
        session_queries(settings) + 4
    ):  # (the session,) user, the ledger, the payout account, the nav's unread count
        response = client.get(reverse("payments:earnings"))
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="total-held">€1,350<' in text
    assert f"{completed.payout_release_at.astimezone(timezone.get_current_timezone()):%-d %b %Y}" in text
    assert "<title id=" in text and "<desc id=" in text
    assert text.count('class="earnings-chart__bar') == 2  # paid and fee: nothing paid out yet
    assert "Months are calendar months in UTC" in text
    assert text.count('data-testid="month-row"') == 12


def test_a_provider_without_money_sees_the_empty_state(direct_provider, client):
    client.force_login(direct_provider)
    response = client.get(reverse("payments:earnings"))
    assert response.status_code == 200
    assert 'data-testid="earnings-empty"' in response.content.decode()


def test_clients_get_a_403_page(client_user, client):
    client.force_login(client_user)
    for url in (
        reverse("payments:earnings"),
        reverse("payments:earnings_csv") + "?year=2026",
        reverse("payments:fee_statement", args=["2026", "01"]),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "You can't open this page" in response.content.decode()


def test_the_dashboard_and_the_payouts_page_link_to_earnings(direct_provider, client):
    client.force_login(direct_provider)
    for name in ("catalog:dashboard", "payments:payouts"):
        assert reverse("payments:earnings") in client.get(reverse(name)).content.decode()


def test_the_booking_rows_are_paginated_with_constant_queries(
    direct_provider, client_user, client, django_assert_num_queries, settings
):
    service = make_service(direct_provider, title="Harp", price_minor=10_000)
    for day in range(21):
        make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30 + day))
    client.force_login(direct_provider)
    with django_assert_num_queries(session_queries(settings) + 4):  # as many as for one booking
        first = client.get(reverse("payments:earnings")).content.decode()
    assert first.count('data-testid="booking-line"') == 20
    assert "Page 1 of 2" in first
    second = client.get(reverse("payments:earnings"), {"page": "2"}).content.decode()
    assert second.count('data-testid="booking-line"') == 1
    assert client.get(reverse("payments:earnings"), {"page": "nonsense"}).status_code == 200


# --- The CSV -----------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_money_movement_with_fees_that_add_up(completed, provider, client, fake_stripe):
    payouts_release(now=completed.payout_release_at)
    tasks_run()
    client.force_login(provider)
    year = timezone.now().astimezone(UTC).year
    response = client.get(reverse("payments:earnings_csv"), {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="gigsta-earnings-{year}.csv"'
    rows = csv_rows(response)
    assert [r["kind"] for r in rows] == ["Payment received", "Payout due", "Paid out to the provider"]
    received = rows[0]
    assert (received["gross"], received["fee"], received["net"], received["currency"]) == (
        "1500.00",
        "150.00",
        "1350.00",
        "EUR",
    )
    assert received["booking"] == completed.reference and received["client"] == "Carla Client"
    assert received["status"] == "paid out"
    assert [(r["gross"], r["fee"], r["net"], r["status"]) for r in rows[1:]] == [
        ("1350.00", "", "", "sent"),  # payouts move the money, they earn nothing more
        ("1350.00", "", "", "sent"),
    ]
    ledger_kinds = PaymentEvent.objects.filter(payment__booking=completed).exclude(kind=Kind.CHECKOUT_STARTED)
    assert len(rows) == ledger_kinds.count()


def test_the_csv_reads_the_ledger_in_a_constant_number_of_queries(
    direct_provider, client_user, client, django_assert_num_queries, settings
):
    for n in range(4):
        manual_completed(direct_provider, client_user, title=f"Gig {n}")
    client.force_login(direct_provider)
    year = timezone.now().astimezone(UTC).year
    with django_assert_num_queries(
        session_queries(settings) + 4
    ):  # (the session,) user, the bookings in the period, their ledger, the account
        response = client.get(reverse("payments:earnings_csv"), {"year": year})
    assert len(csv_rows(response)) == 4


def test_names_that_look_like_formulas_are_defused(direct_provider, client):
    sneaky = make_user("eve@example.com", '=HYPERLINK("http://x","y")', role=Role.CLIENT)
    manual_completed(direct_provider, sneaky, title="@SUM(A1)")
    client.force_login(direct_provider)
    year = timezone.now().astimezone(UTC).year
    (row,) = csv_rows(client.get(reverse("payments:earnings_csv"), {"year": year}))
    assert row["client"] == '\'=HYPERLINK("http://x","y")'
    month = timezone.now().astimezone(UTC)
    statement = client.get(reverse("payments:fee_statement_csv", args=[f"{month:%Y}", f"{month:%m}"]))
    first = csv_rows(statement)[0]
    assert (first["client"], first["service"]) == ('\'=HYPERLINK("http://x","y")', "'@SUM(A1)")


def test_month_ranges_are_utc_calendar_months(direct_provider, client_user, client):
    booking = manual_completed(direct_provider, client_user)
    edge = dt.datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # already February in Berlin
    PaymentEvent.objects.filter(payment__booking=booking).update(created_at=edge)
    assert len(movements_between(direct_provider, *_bounds("2026-01", "2026-01"))) == 1
    assert movements_between(direct_provider, *_bounds("2026-02", "2026-02")) == []
    client.force_login(direct_provider)
    response = client.get(reverse("payments:earnings_csv"), {"start": "2025-12", "end": "2026-01"})
    assert response["Content-Disposition"] == 'attachment; filename="gigsta-earnings-2025-12-to-2026-01.csv"'
    assert len(csv_rows(response)) == 1
    assert csv_rows(client.get(reverse("payments:earnings_csv"), {"start": "2026-02"})) == []


def _bounds(first: str, last: str):
    from payments.forms import EarningsExportForm

    form = EarningsExportForm({"start": first, "end": last})
    assert form.is_valid(), form.errors
    return form.period()[:2]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Choose a year, or a first month."),
        ({"year": "abc"}, "Enter a whole number."),
        ({"year": "99999"}, "less than or equal to 9999"),
        ({"year": "1999"}, "greater than or equal to 2000"),
        ({"start": "2026-13"}, "Give a month as YYYY-MM"),
        ({"start": "2026-03", "end": "2026-01"}, "The last month comes before the first."),
        ({"year": "2026", "start": "2026-01"}, "Choose a year or a range of months, not both."),
        ({"start": "2026-01\x00"}, "Null characters are not allowed."),
    ],
)
def test_a_bad_period_is_a_form_error_not_a_crash(direct_provider, client, query, message):
    client.force_login(direct_provider)
    response = client.get(reverse("payments:earnings_csv"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_last_year_python_knows_is_exported_without_overflow(direct_provider, client):
    client.force_login(direct_provider)
    assert client.get(reverse("payments:earnings_csv"), {"year": "9999"}).status_code == 200
    assert client.get(reverse("payments:earnings_csv"), {"start": "9999-12"}).status_code == 200


# --- The monthly statement of fees on manual bookings -------------------------------------------


def test_the_statement_lists_the_months_manual_bookings_and_the_total_owed(direct_provider, client_user, client):
    first = manual_completed(direct_provider, client_user, price=80_000, title="Jazz trio")
    second = manual_completed(direct_provider, client_user, price=45_050, title="Piano")
    month = timezone.now().astimezone(UTC)
    statement = fee_statement_of(direct_provider, year=month.year, month=month.month)
    assert [line.booking for line in statement.lines] == [first, second]
    assert statement.totals == [("EUR", 125_050, 8_000 + 4_505)]
    assert [line.fee for line in statement.lines] == [booking_money(first).fee, booking_money(second).fee]

    client.force_login(direct_provider)
    url = reverse("payments:fee_statement", args=[f"{month:%Y}", f"{month:%m}"])
    text = client.get(url).content.decode()
    assert text.count('data-testid="statement-line"') == 2
    assert "€125.05" in text and "€1,250.50" in text
    assert "GigSta invoices it to you" in text
    assert "not taken from your card payouts" in text
    rows = csv_rows(client.get(reverse("payments:fee_statement_csv", args=[f"{month:%Y}", f"{month:%m}"])))
    assert [(r["booking"], r["paid to you"], r["fee"]) for r in rows] == [
        (first.reference, "800.00", "80.00"),
        (second.reference, "450.50", "45.05"),
        ("", "1250.50", "125.05"),
    ]


def test_the_statement_leaves_out_card_bookings_and_other_months(completed, provider, client):
    month = timezone.now().astimezone(UTC)
    assert fee_statement_of(provider, year=month.year, month=month.month).lines == []
    client.force_login(provider)
    response = client.get(reverse("payments:fee_statement", args=["2020", "01"]))
    assert response.status_code == 200
    assert 'data-testid="statement-empty"' in response.content.decode()


def test_a_statement_never_shows_another_providers_bookings(direct_provider, client_user, client):
    manual_completed(direct_provider, client_user)
    other = make_user("otto@example.com", "Otto Other", role=Role.PROVIDER)
    month = timezone.now().astimezone(UTC)
    client.force_login(other)
    text = client.get(reverse("payments:fee_statement", args=[f"{month:%Y}", f"{month:%m}"])).content.decode()
    assert 'data-testid="statement-empty"' in text and "Jazz trio" not in text


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "1999-12", "0000-01"])
def test_a_month_that_does_not_exist_is_a_404(direct_provider, client, month):
    client.force_login(direct_provider)
    assert client.get(f"/payments/earnings/statements/{month}/").status_code == 404
    assert client.get(f"/payments/earnings/statements/{month}.csv").status_code == 404


def test_a_statement_has_few_queries(direct_provider, client_user, client, django_assert_num_queries, settings):
    for n in range(3):
        manual_completed(direct_provider, client_user, title=f"Gig {n}")
    month = timezone.now().astimezone(UTC)
    client.force_login(direct_provider)
    with django_assert_num_queries(
        session_queries(settings) + 4
    ):  # (the session,) user, the bookings, their ledger, the nav's unread count
        client.get(reverse("payments:fee_statement", args=[f"{month:%Y}", f"{month:%m}"]))
