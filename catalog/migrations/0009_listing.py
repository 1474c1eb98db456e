"""Listings: the narrow table search reads (catalog.models.Listing), filled from the services.

On PostgreSQL the listing gets its search words as a tsvector with a GIN index and its place in a
GiST index (through gigsta_earth, migration 0008). The service's own search_document column and
indexes stay for now: web processes of the previous release still read them during a deploy.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMN = ["ALTER TABLE catalog_listing ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector"]
NO_COLUMN = ["ALTER TABLE catalog_listing DROP COLUMN IF EXISTS search_document"]
INDEXES = [
    "CREATE INDEX listing_search_document ON catalog_listing USING gin (search_document)",
    "CREATE INDEX listing_earth ON catalog_listing USING gist (gigsta_earth(latitude, longitude))",
]
NO_INDEXES = ["DROP INDEX IF EXISTS listing_earth", "DROP INDEX IF EXISTS listing_search_document"]
COLUMNS = "service_id, provider_id, category_id, title, price_minor, rating_avg, rating_count, latitude, longitude, created_at"
LISTED = (
    " FROM catalog_service s JOIN accounts_user u ON u.id = s.provider_id"
    " JOIN accounts_providerprofile p ON p.user_id = u.id WHERE s.is_active AND u.is_active"
)
VALUES = (
    "s.id, s.provider_id, s.category_id, s.title, s.price_minor, p.rating_avg, p.rating_count,"
    " s.latitude, s.longitude, s.created_at"
)


def postgresql(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"INSERT INTO catalog_listing ({COLUMNS}, search_document) SELECT {VALUES},"
            f" strip(to_tsvector('simple'::regconfig, s.search_text)){LISTED}"
        )
    else:
        schema_editor.execute(f"INSERT INTO catalog_listing ({COLUMNS}) SELECT {VALUES}{LISTED}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_search_point_function"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Listing",
            fields=[
                (
                    "service",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="listing",
                        serialize=False,
                        to="catalog.service",
                    ),
                ),
                ("title", models.CharField(max_length=120)),
                ("price_minor", models.PositiveIntegerField()),
                ("rating_avg", models.DecimalField(decimal_places=2, max_digits=3)),
                ("rating_count", models.PositiveIntegerField()),
                ("latitude", models.FloatField()),
                ("longitude", models.FloatField()),
                ("created_at", models.DateTimeField()),
                (
                    "category",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.category",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["price_minor"], name="listing_price"),
                    models.Index(fields=["category", "price_minor"], name="listing_category_price"),
                    models.Index(
                        models.OrderBy(models.F("rating_avg"), descending=True),
                        models.OrderBy(models.F("rating_count"), descending=True),
                        name="listing_rating",
                    ),
                    models.Index(
                        models.F("category"),
                        models.OrderBy(models.F("rating_avg"), descending=True),
                        models.OrderBy(models.F("rating_count"), descending=True),
                        name="listing_category_rating",
                    ),
                    models.Index(fields=["latitude", "longitude"], name="listing_lat_lng"),
                ],
            },
        ),
        migrations.RunPython(postgresql(COLUMN), postgresql(NO_COLUMN), elidable=False),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(postgresql(INDEXES), postgresql(NO_INDEXES), elidable=False),
    ]
