"""How the helpdesk's queues in the admin (webinar proposals, case conferences) offer their steps.

A queue names the permission that lets someone work it, the URL name of each step's page and
the steps its service allows for an item now; the listing and the inspect view show one button
per allowed step, the ones that end something marked serious.
"""

from django.urls import reverse
from wagtail_modeladmin.helpers import ButtonHelper


class QueueSteps:
    def __init__(self, *, permission, url_name, labels, allowed_steps, serious=()):
        self.permission = permission
        self.url_name = url_name  # with "{}" for the step
        self.labels = labels
        self.allowed_steps = allowed_steps  # item -> the steps its service allows now
        self.serious = frozenset(serious)

    def may_work(self, user):
        return user.has_perm(self.permission)

    def url(self, step, item):
        return reverse(self.url_name.format(step), args=[item.pk])

    def buttons(self, item, user):
        """(step, label, url) of each step ``user`` may take on ``item`` now."""
        if not self.may_work(user):
            return []
        return [
            (step, self.labels[step], self.url(step, item)) for step in self.allowed_steps(item)
        ]


class StepButtonHelper(ButtonHelper):
    """The listing's and the inspect view's buttons: inspect, then each step allowed now."""

    steps = None  # a QueueSteps

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, **kwargs):
        buttons = super().get_buttons_for_obj(
            obj, exclude=exclude, classnames_add=classnames_add, **kwargs
        )
        for step, label, url in self.steps.buttons(obj, self.request.user):
            serious = ["serious"] if step in self.steps.serious else []
            buttons.append(
                {
                    "url": url,
                    "label": label,
                    "classname": " ".join(["button", "button-small", *serious]),
                    "title": f"{label}: {obj}",
                }
            )
        return buttons
