"""Search indexes PostgreSQL answers from (see catalog.search_sql); other databases keep the
portable keyword and latitude/longitude indexes and get nothing here."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS cube",
    "CREATE EXTENSION IF NOT EXISTS earthdistance",
    "CREATE INDEX IF NOT EXISTS service_search_document ON catalog_service "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "CREATE INDEX IF NOT EXISTS service_earth ON catalog_service USING gist (ll_to_earth(latitude, longitude))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS service_earth",
    "DROP INDEX IF EXISTS service_search_document",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_service_deposit")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
