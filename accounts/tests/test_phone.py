"""The optional phone number on the profile: validated, tidied, shown to the other party only
once a booking is confirmed (bookings/tests/test_contact.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import validate_phone
from accounts.services import user_update_profile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["+49 30 1234567", "030/123 456", "(0)30-1234.567", "+1 (555) 010-9999"])
def test_phone_numbers_as_people_write_them_are_accepted(number):
    validate_phone(number)


@pytest.mark.parametrize("number", ["12345", "call me", "+49 30 1234567 ext 9", "1" * 16, "+49\n30 1234567", "++49 30"])
def test_other_text_is_not_a_phone_number(number):
    with pytest.raises(ValidationError):
        validate_phone(number)


def test_the_profile_page_saves_a_phone_number(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:profile"), {"display_name": "Carla", "phone": " +49  30 1234567 "})
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.phone == "+49 30 1234567"
    assert 'value="+49 30 1234567"' in client.get(reverse("accounts:profile")).content.decode()


def test_a_bad_phone_number_is_shown_at_its_field_and_nothing_is_saved(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:profile"), {"display_name": "Carla Renamed", "phone": "ring twice"})
    assert response.status_code == 200
    assert "Enter a phone number" in response.context["form"].errors["phone"][0]
    client_user.refresh_from_db()
    assert (client_user.display_name, client_user.phone) == ("Carla Client", "")


def test_the_phone_can_be_removed(client_user):
    user_update_profile(user=client_user, display_name="Carla", phone="+49 30 1234567")
    user_update_profile(user=client_user, display_name="Carla", phone="")
    client_user.refresh_from_db()
    assert client_user.phone == ""


def test_the_service_refuses_what_the_form_would(client_user):
    with pytest.raises(ValidationError) as refused:
        user_update_profile(user=client_user, display_name="Carla", phone="not a number")
    assert "phone" in refused.value.message_dict
