"""The Helpdesk books Webex: it may see, add, change (and so retry) and delete bookings."""

from django.db import migrations

RIGHTS = ["view", "add", "change", "delete"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="events", model="webexbooking")
    helpdesk, _ = Group.objects.get_or_create(name="Helpdesk")
    for right in RIGHTS:
        perm, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{right}_webexbooking",
            defaults={"name": f"Can {right} Webex booking"},
        )
        helpdesk.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    helpdesk = Group.objects.filter(name="Helpdesk").first()
    if helpdesk is not None:
        helpdesk.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="events", codename__endswith="_webexbooking"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("home", "0002_roles_and_policy_review"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
