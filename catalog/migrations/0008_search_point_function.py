"""The place index through a function of our own, so a backup restores.

earthdistance's ll_to_earth names the `earth` type without its schema, and pg_restore runs
with an empty search_path: restoring an index on ll_to_earth(...) fails. gigsta_earth() is
dumped with the database and carries its own search_path, so the index restores."""

from django.db import migrations

FORWARD = [
    "CREATE OR REPLACE FUNCTION gigsta_earth(lat float8, lng float8) RETURNS earth "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = public AS 'SELECT ll_to_earth(lat, lng)'",
    "DROP INDEX IF EXISTS service_earth",
    "CREATE INDEX service_earth ON catalog_service USING gist (gigsta_earth(latitude, longitude))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS service_earth",
    "CREATE INDEX service_earth ON catalog_service USING gist (ll_to_earth(latitude, longitude))",
    "DROP FUNCTION IF EXISTS gigsta_earth(float8, float8)",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_search_document_column")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
