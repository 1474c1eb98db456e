"""GET /api/openapi.json documents every status an operation can answer, and Idempotency-Key."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def operations(client) -> dict[str, dict]:
    schema = client.get("/api/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_every_operation_with_a_body_documents_400_malformed_json(operations):
    with_body = {name: op for name, op in operations.items() if "requestBody" in op}
    assert len(with_body) >= 8
    assert [name for name, op in with_body.items() if 400 not in map(int, op["responses"])] == []


def test_the_service_page_documents_422_for_a_bad_id(operations):
    assert {"200", "404", "422", "429"} <= set(operations["GET /api/services/{service_id}"]["responses"])


def test_every_operation_documents_429_and_every_signed_in_one_401(operations):
    assert [name for name, op in operations.items() if "429" not in op["responses"]] == []
    signed_in = [name for name, op in operations.items() if op.get("security")]
    assert "GET /api/me" in signed_in
    assert [name for name in signed_in if "401" not in operations[name]["responses"]] == []


def test_every_error_answer_has_the_error_shape(operations):
    for name, op in operations.items():
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (name, status)


def test_every_post_takes_an_idempotency_key(operations):
    posts = {name: op for name, op in operations.items() if name.startswith("POST ")}
    for name, op in posts.items():
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], name
        assert {"409", "422"} <= set(op["responses"]), name


def test_every_input_schema_refuses_nul_characters():
    """Every body and query schema of every operation derives from InputSchema (gigsta/schemas.py)."""
    from gigsta.api import api
    from gigsta.schemas import InputSchema

    api.urls
    unguarded = []
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ not in ("body", "query"):
                        continue
                    for name, field in model.model_fields.items():
                        annotation = field.annotation
                        if isinstance(annotation, type) and issubclass(annotation, InputSchema):
                            continue
                        if isinstance(annotation, type) and annotation.__module__ != "builtins":
                            unguarded.append(f"{operation.operation_id}: {name}")
    assert unguarded == []
