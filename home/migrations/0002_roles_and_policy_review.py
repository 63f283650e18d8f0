"""Groups for the three staff roles and the "Policy review" workflow.

Editors edit and submit, Moderators publish, the Helpdesk works in the admin. Wagtail's
own first migration already made Editors and Moderators; this adjusts their rights and
replaces Wagtail's default workflow on the page tree with "Policy review".
"""

from django.db import migrations

PAGE_RIGHTS = {
    "Editors": ["add_page", "change_page"],
    "Moderators": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
MEDIA_RIGHTS = {
    "Editors": ["add", "change", "choose"],
    "Moderators": ["add", "change", "delete", "choose"],
    "Helpdesk": ["add", "change", "choose"],
}


def permission(apps, app_label, model, codename, name=None):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name or codename}
    )
    return perm


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Page = apps.get_model("wagtailcore.Page")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    ContentType = apps.get_model("contenttypes.ContentType")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in MEDIA_RIGHTS}
    access_admin = permission(
        apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"
    )
    for group in groups.values():
        group.permissions.add(access_admin)
    groups["Helpdesk"].permissions.add(
        permission(apps, "home", "sitesettings", "change_sitesettings", "Can change CMSS settings")
    )

    root_page = Page.objects.filter(depth=1).order_by("path").first()
    if root_page is not None:
        for name, codenames in PAGE_RIGHTS.items():
            wanted = {permission(apps, "wagtailcore", "page", c).pk for c in codenames}
            GroupPagePermission.objects.filter(group=groups[name], page=root_page).exclude(
                permission_id__in=wanted
            ).delete()
            for pk in wanted:
                GroupPagePermission.objects.get_or_create(
                    group=groups[name], page=root_page, permission_id=pk
                )

    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    if root_collection is not None:
        for name, actions in MEDIA_RIGHTS.items():
            for app_label, model in (("wagtaildocs", "document"), ("wagtailimages", "image")):
                for action in actions:
                    GroupCollectionPermission.objects.get_or_create(
                        group=groups[name],
                        collection=root_collection,
                        permission=permission(apps, app_label, model, f"{action}_{model}"),
                    )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name="Moderator approval").first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name="Moderator approval", content_type=task_type, active=True
        )
    task.groups.set([groups["Moderators"]])
    workflow, _ = Workflow.objects.get_or_create(name="Policy review", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    if root_page is not None:
        # The whole tree, the information package included, goes through Policy review.
        WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})
    Workflow.objects.filter(name="Moderators approval").exclude(pk=workflow.pk).update(active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
