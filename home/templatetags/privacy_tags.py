"""The admin's privacy dialog for pages and collections, in words an editor understands
(templates/wagtailadmin/shared/set_privacy.html; the rule itself is in home/members.py)."""

from django import template
from wagtail.models import BaseViewRestriction

register = template.Library()

PLAIN_LABELS = {
    BaseViewRestriction.NONE: "Public: anyone, without signing in",
    BaseViewRestriction.LOGIN: "Members: approved clinicians and staff",
    BaseViewRestriction.GROUPS: "Only the staff groups ticked below",
}


@register.simple_tag
def plain_privacy_choices(form):
    """Relabel the dialog's choices; a shared password is never among them (settings).

    Wagtail's own label for "none" is kept when it says the privacy is inherited from a parent.
    """
    field = form.fields["restriction_type"]
    public = str(dict(BaseViewRestriction.RESTRICTION_CHOICES)[BaseViewRestriction.NONE])
    choices = []
    for value, label in field.choices:
        if value == BaseViewRestriction.PASSWORD:
            continue
        if value != BaseViewRestriction.NONE or str(label) == public:
            label = PLAIN_LABELS.get(value, label)
        choices.append((value, label))
    field.choices = choices
    return ""
