"""The helpdesk works the webinar proposals queue: it may see proposals and take their steps
(the queue's step views check "change"; proposals are made only by clinicians' form)."""

from django.db import migrations

RIGHTS = ["view", "change"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="events", model="webinarproposal")
    helpdesk, _ = Group.objects.get_or_create(name="Helpdesk")
    for right in RIGHTS:
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{right}_webinarproposal",
            defaults={"name": f"Can {right} webinar proposal"},
        )
        helpdesk.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    permissions = Permission.objects.filter(
        content_type__app_label="events",
        codename__in=[f"{right}_webinarproposal" for right in RIGHTS],
    )
    for group in Group.objects.filter(name="Helpdesk"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0008_conference_queue_invitations"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
