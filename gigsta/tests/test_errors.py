"""The one domain error family: each refusal carries its status and code, the API answers every
member with one handler, HTML forms show every member with one helper."""

import json

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

import accounts.services
import bookings.services
import bookings.state_machine
import payments.errors
from gigsta.api import on_domain_error
from gigsta.errors import DomainError
from gigsta.forms import form_submit


def _members(cls=DomainError) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_members(sub)]
    return found


# Importing the modules above is what declares the members; this list is what they declare.
EXPECTED = {
    "TransitionNotAllowed": (409, "transition_not_allowed"),
    "UnknownAction": (404, "unknown_action"),
    "SlotTaken": (409, "slot_taken"),
    "ReviewNotAllowed": (409, "review_not_allowed"),
    "EmailTaken": (409, "email_taken"),
    "PaymentError": (409, "payment_not_possible"),
    "AmountChanged": (409, "amount_changed"),
    "RefundTooLarge": (409, "refund_too_large"),
    "GatewayUnavailable": (503, "payment_provider_unavailable"),
    "WebhookRejected": (400, "webhook_rejected"),
}


def test_the_family_declares_status_and_code_as_data():
    declared = {cls.__name__: (cls.status, cls.code) for cls in _members() if cls.__name__ in EXPECTED}
    assert declared == EXPECTED
    assert {bookings.services.SlotTaken, accounts.services.EmailTaken, payments.errors.GatewayUnavailable} <= set(
        _members()
    )
    assert issubclass(bookings.state_machine.TransitionNotAllowed, DomainError)


@pytest.mark.parametrize("cls", [c for c in _members() if c.__name__ in EXPECTED], ids=lambda c: c.__name__)
def test_the_api_answers_every_member_with_its_status_and_one_shape(cls):
    exc = cls("teleport") if cls.__name__ == "UnknownAction" else cls("Not now.")
    response = on_domain_error(RequestFactory().get("/api/x"), exc)
    assert response.status_code == cls.status
    assert json.loads(response.content) == {"detail": str(exc), "code": cls.code}


def test_one_instance_may_name_a_more_precise_code():
    exc = bookings.state_machine.TransitionNotAllowed("Not while cancelled.", "wrong_state")
    assert (exc.status, exc.code, exc.message) == (409, "wrong_state", "Not while cancelled.")
    assert bookings.state_machine.TransitionNotAllowed.code == "transition_not_allowed"


class _Form(forms.Form):
    venue = forms.CharField()


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (
            bookings.services.SlotTaken("The provider is already booked at that time."),
            "The provider is already booked at that time. Try another date.",  # a conflict: the hint helps
        ),
        (PermissionDenied("Only client accounts can request bookings."), "Only client accounts can request bookings."),
    ],
)
def test_a_form_shows_a_refusal_above_its_fields_and_gets_nothing_back(refusal, expected):
    form = _Form(data={"venue": "Villa"})
    assert form.is_valid()

    def service(**kwargs):
        raise refusal

    assert form_submit(form, service, hint="Try another date.") is None
    assert form.non_field_errors() == [expected]


def test_a_form_shows_field_errors_at_their_fields_renamed():
    form = _Form(data={"venue": "Villa"})
    assert form.is_valid()

    def service(**kwargs):
        raise ValidationError({"where": ["Say where the gig takes place."]})

    assert form_submit(form, service, rename={"where": "venue"}) is None
    assert form.errors["venue"] == ["Say where the gig takes place."]


def test_a_form_returns_what_the_service_returned():
    form = _Form(data={"venue": "Villa"})
    assert form.is_valid()
    assert form_submit(form, lambda **kw: kw["venue"].upper(), venue="Villa") == "VILLA"
