"""The "Policy review" workflow that the information package goes through."""

from wagtail.models import Workflow, WorkflowPage

POLICY_REVIEW = "Policy review"


def assign_policy_review(page):
    """Put `page` (and so its subtree) under the Policy review workflow.

    Raises Workflow.DoesNotExist if the migration that creates the workflow has not run.
    """
    workflow = Workflow.objects.get(name=POLICY_REVIEW)
    WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
    return workflow
