from django.db import migrations

from directory.countries import COUNTRIES


def add_countries(apps, schema_editor):
    Country = apps.get_model("directory", "Country")
    for code, name, zone, membership in COUNTRIES:
        Country.objects.update_or_create(
            code=code, defaults={"name": name, "time_zone": zone, "membership": membership}
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(add_countries, migrations.RunPython.noop)]
