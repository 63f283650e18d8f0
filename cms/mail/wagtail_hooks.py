"""Wagtail admin registration of the outgoing-mail log (see admin.py)."""

from wagtail_modeladmin.options import modeladmin_register

from cms.mail.admin import MailAdminGroup

modeladmin_register(MailAdminGroup)
