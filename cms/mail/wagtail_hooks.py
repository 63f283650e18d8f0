"""Wagtail admin registration of the outgoing-mail log (see admin.py) and its dashboard panel."""

from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from cms.mail import dashboard
from cms.mail.admin import MailAdminGroup

modeladmin_register(MailAdminGroup)

# Failed and bounced mail, on the dashboard of those who may read the mail log.
hooks.register("construct_homepage_panels", dashboard.construct_homepage_panels)
