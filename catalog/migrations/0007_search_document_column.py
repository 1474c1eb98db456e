"""PostgreSQL: the search words as a stored tsvector column (see catalog.search_sql).

An index on the expression to_tsvector(search_text) finds matches, but a plan that walks another
index in order (rating, price, distance) must compute to_tsvector again for every row it tests,
and the planner does not count that cost. A stored, generated column is computed once per write
and tested cheaply. Django's model does not know the column: PostgreSQL fills it on every insert
and update of search_text. Other databases get nothing here.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE catalog_service ADD COLUMN IF NOT EXISTS search_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS service_search_document_gin ON catalog_service USING gin (search_document)",
    "DROP INDEX IF EXISTS service_search_document",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS service_search_document ON catalog_service "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "DROP INDEX IF EXISTS service_search_document_gin",
    "ALTER TABLE catalog_service DROP COLUMN IF EXISTS search_document",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_search_indexes")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
