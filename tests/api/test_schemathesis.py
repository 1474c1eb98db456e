"""The API against its own OpenAPI schema, as schemathesis sees it: generated requests from
every documented operation (schema examples, coverage of edge values, then fuzzing), sent
through the WSGI application as an anonymous caller, a client and a provider. No answer may be
a server error or differ from what the schema documents (status, content type, body)."""

import zlib

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import auth
from bookings.state_machine import ActionName
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.api import api
from gigsta.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
schema.app = application


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """Requests run in the test's transaction, as with Django's test client: the end of a request
    must not close the database connection (PostgreSQL would lose the transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "client", "provider"])
def caller(request, client_user, provider) -> dict[str, str]:
    return {"anonymous": {}, "client": auth(client_user), "provider": auth(provider)}[request.param]


@pytest.fixture
def known(client_user, provider) -> dict[str, list[str]]:
    """Ids that exist: a service of the provider's and a booking between the two, with its actions."""
    booking = make_booking(client=client_user, service=make_service(provider))
    return {
        "service_id": [str(booking.service.public_id)],
        "booking_id": [str(booking.public_id)],
        "action_name": list(ActionName),
    }


def _aim(case, known: dict[str, list[str]]) -> None:
    """Random ids find nothing (404): three cases in four ask for rows that exist instead, so the
    generated bodies and parameters reach the services."""
    for name, value in (case.path_parameters or {}).items():
        spin = zlib.crc32(repr(case.path_parameters).encode() + repr(case.body).encode())
        if name in known and spin % 4:
            case.path_parameters[name] = known[name][spin % len(known[name])]


@schema.parametrize()
@hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, caller, known):
    _aim(case, known)
    case.call_and_validate(headers=caller, checks=CHECKS)
