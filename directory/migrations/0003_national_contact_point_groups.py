"""Directory rights: the helpdesk keeps all of it, one group per country for its national contact
points keeps that country's hospitals and clinicians (see directory/services/access.py)."""

from django.db import migrations

# Kept here rather than imported, so the migration does not change when the service does.
NATIONAL_CONTACT_POINT_PREFIX = "National contact point – "
HELPDESK_ACTIONS = ("add", "change", "delete", "view")
NATIONAL_CONTACT_POINT_ACTIONS = ("add", "change", "view")
MODELS = ("hospital", "clinician")


def permission(apps, app_label, model, codename, name=None):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name or codename}
    )
    return perm


def directory_permissions(apps, actions):
    return [
        permission(apps, "directory", model, f"{action}_{model}", f"Can {action} {model}")
        for model in MODELS
        for action in actions
    ]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Country = apps.get_model("directory.Country")

    helpdesk, _ = Group.objects.get_or_create(name="Helpdesk")
    helpdesk.permissions.add(*directory_permissions(apps, HELPDESK_ACTIONS))

    access_admin = permission(
        apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"
    )
    rights = directory_permissions(apps, NATIONAL_CONTACT_POINT_ACTIONS)
    for country in Country.objects.all():
        group, _ = Group.objects.get_or_create(
            name=f"{NATIONAL_CONTACT_POINT_PREFIX}{country.name}"
        )
        group.permissions.add(access_admin, *rights)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Group.objects.filter(name__startswith=NATIONAL_CONTACT_POINT_PREFIX).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_countries"),
        ("home", "0002_roles_and_policy_review"),
        ("wagtailadmin", "0006_formstate"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
