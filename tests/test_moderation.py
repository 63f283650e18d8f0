"""Plone-style moderation: editors edit and submit, only moderators publish (workflow "Policy review")."""

import pytest
from django.urls import reverse
from wagtail.models import Page, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from home.services.moderation import assign_policy_review


@pytest.fixture
def draft(package_page, make_standard_page):
    page = make_standard_page(package_page, "Procedures", summary="Old summary.")
    return page


def post_edit(client, page, action=None, **fields):
    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "summary": fields.get("summary", page.summary),
            "body": streamfield([]),
        }
    )
    if action:
        data[action] = "1"
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)


@pytest.mark.django_db
def test_information_package_is_under_policy_review(package_page, privacy_page):
    assign_policy_review(package_page)
    assert package_page.get_workflow().name == "Policy review"
    assert privacy_page.get_workflow().name == "Policy review"
    task = package_page.get_workflow().tasks.get().specific
    assert [g.name for g in task.groups.all()] == ["Moderators"]


@pytest.mark.django_db
def test_information_package_created_in_the_admin_gets_policy_review(client, home_page, make_staff):
    from wagtail.models import WorkflowPage

    WorkflowPage.objects.all().delete()  # so only the hook can supply the workflow
    client.force_login(make_staff("mod", "Moderators"))
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["home", "informationpackagepage", home_page.pk]),
        nested_form_data(
            {
                "title": "Information package",
                "slug": "information-package",
                "introduction": rich_text(""),
                "package_documents": inline_formset([]),
            }
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    created = Page.objects.get(slug="information-package")
    assert created.get_workflow().name == "Policy review"


@pytest.mark.django_db
def test_editor_cannot_publish_but_can_submit(client, draft, make_staff):
    editor = make_staff("eve", "Editors")
    assert not draft.permissions_for_user(editor).can_publish()
    assert draft.permissions_for_user(editor).can_edit()

    client.force_login(editor)
    response = post_edit(client, draft, "action-publish", summary="Edited by the editor.")
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.live_revision.as_object().summary == "Old summary."  # nothing published

    response = post_edit(client, draft, "action-submit", summary="Edited by the editor.")
    assert response.status_code == 302
    state = WorkflowState.objects.get(object_id=str(draft.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.task.name == "Moderator approval"
    draft.refresh_from_db()
    assert draft.live_revision.as_object().summary == "Old summary."


@pytest.mark.django_db
def test_editor_cannot_approve_a_submission(client, draft, make_staff):
    editor = make_staff("eve", "Editors")
    client.force_login(editor)
    post_edit(client, draft, "action-submit", summary="Edited by the editor.")
    state = WorkflowState.objects.get(object_id=str(draft.pk))
    task_state = state.current_task_state
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[draft.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert response.status_code in (302, 403)
    draft.refresh_from_db()
    assert draft.live_revision.as_object().summary == "Old summary."
    assert task_state.task.specific.get_actions(draft, editor) == []


@pytest.mark.django_db
def test_moderator_approves_and_the_change_goes_live(client, draft, make_staff):
    editor = make_staff("eve", "Editors")
    moderator = make_staff("mo", "Moderators")
    client.force_login(editor)
    post_edit(client, draft, "action-submit", summary="Edited by the editor.")
    state = WorkflowState.objects.get(object_id=str(draft.pk))
    task_state = state.current_task_state
    assert "approve" in [
        name for name, *_ in task_state.task.specific.get_actions(draft, moderator)
    ]

    client.force_login(moderator)
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[draft.pk, "approve", task_state.pk]),
        {"comment": "Fine."},
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.live_revision.as_object().summary == "Edited by the editor."
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED


@pytest.mark.django_db
def test_moderator_can_publish_directly(client, draft, make_staff):
    moderator = make_staff("mo", "Moderators")
    assert draft.permissions_for_user(moderator).can_publish()
    client.force_login(moderator)
    response = post_edit(client, draft, "action-publish", summary="Published by a moderator.")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live_revision.as_object().summary == "Published by a moderator."


@pytest.mark.django_db
def test_helpdesk_group_exists_with_admin_access(make_staff):
    user = make_staff("hd", "Helpdesk")
    assert user.has_perm("wagtailadmin.access_admin")
    assert user.has_perm("home.change_sitesettings")


@pytest.mark.django_db
def test_shared_password_privacy_is_switched_off(client, draft, make_staff, make_document):
    client.force_login(make_staff("root", superuser=True))
    page_form = client.get(reverse("wagtailadmin_pages:set_privacy", args=[draft.pk]))
    assert page_form.status_code == 200
    html = page_form.json()["html"]
    assert 'value="login"' in html
    assert 'value="password"' not in html
    from wagtail.models import Collection

    collection = Collection.get_first_root_node().add_child(name="Package")
    collection_form = client.get(
        reverse("wagtailadmin_collections:set_privacy", args=[collection.pk])
    )
    assert collection_form.status_code == 200
    collection_html = collection_form.json()["html"]
    assert 'value="login"' in collection_html
    assert 'value="password"' not in collection_html
