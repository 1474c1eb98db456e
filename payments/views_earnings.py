"""A provider's earnings: the page with its chart, the CSV of ledger movements, and the monthly
statement of GigSta's fees on manual bookings. Every number comes from payments.earnings."""

import csv
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from payments.earnings import MONTHS_SHOWN, Movement, earnings_of, fee_statement_of, month_starts, movements_between
from payments.forms import EarningsExportForm

CSV_HEADER = ["date", "booking", "client", "kind", "gross", "fee", "net", "currency", "status"]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _provider(request: HttpRequest):
    if not request.user.is_provider:
        raise PermissionDenied("Earnings are for provider accounts.")
    return request.user


@login_required
@require_GET
def earnings(request: HttpRequest) -> HttpResponse:
    provider = _provider(request)
    return _earnings_page(request, provider, EarningsExportForm(initial={"year": timezone.now().year}))


def _earnings_page(request: HttpRequest, provider, form: EarningsExportForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    data = earnings_of(provider, now=now)
    context = {
        "earnings": data,
        "page": data.bookings_page(request.GET.get("page")),
        "form": form,
        "statement_months": month_starts(now)[::-1],
        "months_shown": MONTHS_SHOWN,
    }
    return render(request, "payments/earnings.html", context, status=status)


@login_required
@require_GET
def earnings_csv(request: HttpRequest) -> HttpResponse:
    """`?year=YYYY`, or `?start=YYYY-MM&end=YYYY-MM` (months included): one row per ledger line."""
    provider = _provider(request)
    form = EarningsExportForm(request.GET)
    if not form.is_valid():
        return _earnings_page(request, provider, form, status=400)
    start, end, name = form.period()
    rows = (_row(m) for m in movements_between(provider, start, end))
    return _csv_response(f"gigsta-earnings-{name}.csv", CSV_HEADER, rows)


def _row(m: Movement) -> list:
    b = m.booking
    return [
        m.at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        b.reference,
        _cell(b.client.display_name),
        m.label,
        _amount(m.gross),
        _amount(m.fee) if m.earning else "",
        _amount(m.net) if m.earning else "",
        m.currency,
        m.status,
    ]


def _amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _cell(text: str) -> str:
    """People's text (names, titles) that a spreadsheet would run as a formula gets a leading
    apostrophe. Amounts and dates are ours and stay as they are."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _statement(request: HttpRequest, year: str, month: str):
    provider = _provider(request)
    y, m = int(year), int(month)
    if not (1 <= m <= 12 and 2000 <= y <= 9999):
        raise Http404("No such month.")
    return fee_statement_of(provider, year=y, month=m)


@login_required
@require_GET
def fee_statement(request: HttpRequest, year: str, month: str) -> HttpResponse:
    """The fees on manual bookings that ended in one month, printable."""
    statement = _statement(request, year, month)
    return render(request, "payments/fee_statement.html", {"statement": statement})


@login_required
@require_GET
def fee_statement_csv(request: HttpRequest, year: str, month: str) -> HttpResponse:
    statement = _statement(request, year, month)
    header = ["ended", "booking", "client", "service", "gig", "paid to you", "fee percent", "fee", "currency"]
    rows = [
        [
            line.settled_at.astimezone(dt.UTC).date().isoformat(),
            line.booking.reference,
            _cell(line.booking.client.display_name),
            _cell(line.booking.service.title),
            line.booking.starts_at.astimezone(dt.UTC).date().isoformat(),
            _amount(line.kept),
            line.fee_percent,
            _amount(line.fee),
            line.booking.currency,
        ]
        for line in statement.lines
    ]
    rows += [["", "", "", "", "total", _amount(kept), "", _amount(fee), cur] for cur, kept, fee in statement.totals]
    return _csv_response(f"gigsta-fees-{statement.month:%Y-%m}.csv", header, rows)
