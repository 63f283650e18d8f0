"""``{% site_url "account_login" %}`` or ``{% site_url "/enrol/" %}``: a link for an email."""

from django import template

from cms.mail.links import absolute_url

register = template.Library()


@register.simple_tag
def site_url(path_or_name="/", *args):
    return absolute_url(path_or_name, *args)
