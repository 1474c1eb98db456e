"""The shared cache's table (settings: CACHES without REDIS_URL): rate-limit counters and the
catalog version that every worker and node must see. Made whatever the current settings say, so
switching Redis off later needs no extra step."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "gigsta_cache"  # settings.CACHES["default"]["LOCATION"] without Redis


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("gigsta", "0001_idempotent_answers")]

    operations = [migrations.RunPython(create, drop)]
