"""The case-conference queue: the SEQUENCE participants were last sent an invitation, and the
Helpdesk's rights to see and work the requests (the queue's steps check "change")."""

from django.db import migrations, models

RIGHTS = ["view", "change"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="events", model="conferencerequest"
    )
    helpdesk, _ = Group.objects.get_or_create(name="Helpdesk")
    for right in RIGHTS:
        perm, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{right}_conferencerequest",
            defaults={"name": f"Can {right} case conference request"},
        )
        helpdesk.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    helpdesk = Group.objects.filter(name="Helpdesk").first()
    if helpdesk is not None:
        helpdesk.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="events",
                codename__in=[f"{right}_conferencerequest" for right in RIGHTS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_case_conferences"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="conferencerequest",
            name="invited_sequence",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(grant, revoke),
    ]
