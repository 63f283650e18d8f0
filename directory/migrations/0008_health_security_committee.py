"""The group "Health Security Committee": its members sign in to the admin as staff do (with the
second factor, directory/middleware.py) and may read the directory and export it, nothing else.
Every view of contact details and every export by them goes to the audit log
(directory/committee.py)."""

from django.db import migrations

# Kept here rather than imported, so the migration does not change when the code does.
GROUP = "Health Security Committee"
MODELS = ("hospital", "clinician")


def permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return perm


def create_group(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        [
            permission(apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
            *(
                permission(apps, "directory", model, f"view_{model}", f"Can view {model}")
                for model in MODELS
            ),
        ]
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth.Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_package_deliveries"),
        ("wagtailadmin", "0006_formstate"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
