"""The Helpdesk group sees the outgoing-mail log and the flagged addresses, may resend a message
and lift a flag (delete a flagged address); it cannot edit or delete logged messages."""

from django.db import migrations

RIGHTS = {
    "outgoingmessage": {
        "view_outgoingmessage": "Can view outgoing message",
        "resend_outgoingmessage": "Can resend outgoing mail",
    },
    "suppressedaddress": {
        "view_suppressedaddress": "Can view flagged address",
        "delete_suppressedaddress": "Can delete flagged address",
    },
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    ContentType = apps.get_model("contenttypes.ContentType")
    helpdesk, _ = Group.objects.get_or_create(name="Helpdesk")
    for model, codenames in RIGHTS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="mail", model=model)
        for codename, name in codenames.items():
            # Permissions are normally made after migrate; make them now if they are missing.
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=codename,
                defaults={"name": name},
            )
            helpdesk.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    helpdesk = Group.objects.filter(name="Helpdesk").first()
    if helpdesk is not None:
        codenames = [c for codes in RIGHTS.values() for c in codes]
        helpdesk.permissions.remove(
            *Permission.objects.filter(content_type__app_label="mail", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
