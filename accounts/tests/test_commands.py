import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.demo.data import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db


def test_create_staff_user_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("STAFF_EMAIL", "Ops@Example.com")
    monkeypatch.setenv("STAFF_PASSWORD", "a-very-long-staff-passphrase")
    call_command("create_staff_user")
    user = User.objects.get(email="ops@example.com")
    assert user.is_staff and user.is_superuser
    assert user.check_password("a-very-long-staff-passphrase")
    assert "Created staff user ops@example.com" in capsys.readouterr().out


def test_create_staff_user_is_idempotent_and_updates_the_password(monkeypatch):
    monkeypatch.setenv("STAFF_EMAIL", "ops@example.com")
    monkeypatch.setenv("STAFF_PASSWORD", "a-very-long-staff-passphrase")
    call_command("create_staff_user")
    monkeypatch.setenv("STAFF_PASSWORD", "another-long-staff-passphrase")
    call_command("create_staff_user")
    assert User.objects.filter(email="ops@example.com").count() == 1
    assert User.objects.get(email="ops@example.com").check_password("another-long-staff-passphrase")


def test_create_staff_user_names_missing_settings(monkeypatch):
    monkeypatch.delenv("STAFF_EMAIL", raising=False)
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="STAFF_EMAIL and STAFF_PASSWORD"):
        call_command("create_staff_user")
    assert not User.objects.exists()


def test_create_staff_user_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("STAFF_EMAIL", "ops@example.com")
    monkeypatch.setenv("STAFF_PASSWORD", "password")
    with pytest.raises(CommandError, match="too weak"):
        call_command("create_staff_user")
    assert not User.objects.exists()


def test_seed_demo_is_idempotent_and_prints_logins(capsys, client):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert User.objects.count() == len(DEMO_USERS)
    assert DEMO_PASSWORD in out
    for email, *_ in DEMO_USERS:
        assert email in out
    providers = User.objects.filter(role="provider")
    assert providers.count() == 3
    assert all(p.provider_profile.city for p in providers)
    # The printed logins really work.
    assert client.login(email="client@demo.gigsta.local", password=DEMO_PASSWORD)
