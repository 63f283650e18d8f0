"""Webinar topics are a snippet: the helpdesk and the policy officials (editors, moderators), who
keep the catalogue, may see, add, change and delete them."""

from django.db import migrations

RIGHTS = ["view", "add", "change", "delete"]
GROUPS = ["Helpdesk", "Editors", "Moderators"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="events", model="topic")
    permissions = [
        Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{right}_topic",
            defaults={"name": f"Can {right} topic"},
        )[0]
        for right in RIGHTS
    ]
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    permissions = Permission.objects.filter(
        content_type__app_label="events", codename__endswith="_topic"
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_webinars"),
        ("home", "0002_roles_and_policy_review"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
