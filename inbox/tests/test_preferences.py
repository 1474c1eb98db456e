import pytest
from django.core import mail
from django.urls import reverse

from inbox.models import EmailOptOut, Kind
from inbox.selectors import email_preferences_of

pytestmark = pytest.mark.django_db


def test_every_kind_is_emailed_by_default_and_the_profile_shows_it(client, client_user):
    assert email_preferences_of(user=client_user) == {"booking": True, "message": True, "reminder": True}
    client.force_login(client_user)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="email-preferences"' in html and html.count('type="checkbox"') == 3
    assert html.count("checked") >= 3


def test_unchecking_turns_a_kind_off_without_javascript(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("inbox:preferences"), {"booking": "on", "reminder": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    assert email_preferences_of(user=client_user) == {"booking": True, "message": False, "reminder": True}
    client.post(reverse("inbox:preferences"), {"message": "on"})
    assert email_preferences_of(user=client_user) == {"booking": False, "message": True, "reminder": False}
    assert not EmailOptOut.objects.exclude(user=client_user).exists()


def test_account_emails_are_not_notifications(client, client_user):
    client.force_login(client_user)
    client.post(reverse("inbox:preferences"), {})
    assert set(EmailOptOut.objects.values_list("kind", flat=True)) == set(Kind.values)
    client.logout()
    mail.outbox.clear()
    client.post(reverse("account_reset_password"), {"email": client_user.email})
    from gigsta.tests.helpers import tasks_run

    tasks_run()
    assert [m.to for m in mail.outbox] == [[client_user.email]]  # a password reset still goes out
