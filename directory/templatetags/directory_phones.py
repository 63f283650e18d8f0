"""{% load directory_phones %}: stored E.164 numbers as people read them (+45 35 45 35 45)."""

from django import template

from directory.phones import display_phone as _display_phone

register = template.Library()


@register.filter
def display_phone(e164):
    return _display_phone(e164)
