from django.db import migrations

# Frozen with this migration: later edits happen in the admin or in a new migration.
CATEGORIES = [
    ("live-music", "Live music", "Bands, solo artists, string quartets, choirs"),
    ("dj", "DJs", "DJs for weddings, parties, clubs and corporate events"),
    ("photography", "Photography", "Event, wedding and portrait photographers"),
    ("videography", "Videography", "Event films, highlights and live streams"),
    ("mc-host", "MCs & hosts", "Masters of ceremony, hosts and presenters"),
    ("dance", "Dance", "Dance acts, instructors and performers"),
    ("magic", "Magic & comedy", "Magicians, comedians and entertainers"),
    ("catering", "Catering", "Caterers, bartenders and food trucks"),
    ("kids-entertainment", "Kids' entertainment", "Clowns, face painters and children's shows"),
    ("sound-lighting", "Sound & lighting", "PA hire, lighting and technicians"),
]


def add_categories(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for position, (slug, name, description) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def remove_categories(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Category.objects.filter(slug__in=[slug for slug, _, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(add_categories, remove_categories)]
