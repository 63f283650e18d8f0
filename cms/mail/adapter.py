"""allauth's account adapter: its emails (sign-in codes, confirmations, notices) go through the
mail service, in CMSS's words (templates/account/email/, templates/mfa/email/: a text and an
HTML body each, on the mail service's base templates), and a person is shown by name, never by
internal username."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from cms.emails import normalise_email
from cms.mail import services
from cms.mail.links import absolute_url

# allauth's emails that carry a one-time code, or a link with a key in it: whoever reads one can
# sign in as (or take over the account of) the recipient. Any other email whose context holds
# such a value counts too, so a template allauth adds later is not stored readable.
SECRET_TEMPLATES = {
    "login_code",  # sign-in and re-authentication codes
    "email_confirmation",
    "email_confirmation_signup",
    "password_reset_key",
    "password_reset_code",
}
SECRET_CONTEXT = ("code", "key", "activate_url")


def carries_secret(template_prefix, context):
    """Whether allauth's email ``template_prefix`` with ``context`` holds a code or key."""
    name = template_prefix.rsplit("/", 1)[-1]
    return name in SECRET_TEMPLATES or any(context.get(key) for key in SECRET_CONTEXT)


def user_display(user):
    """How allauth names ``user`` on pages and in emails (ACCOUNT_USER_DISPLAY): their name, or
    their email address when they have none; never the username, which is internal."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    return name or user.email or "your account"


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """One written form per mailbox: the domain in lowercase IDNA ASCII (cms/emails.py)."""
        return normalise_email(super().clean_email(email))

    def send_mail(self, template_prefix, email, context):
        """Render allauth's message as allauth does (``<prefix>_message.txt`` and, when it
        exists, ``<prefix>_message.html``), then queue it with the other outgoing mail.

        Links to the site in our templates come from ``CMSS_BASE_URL`` (``{% site_url %}``);
        the ones allauth builds itself (``activate_url``) use the request's host, as allauth does.
        A message with a code or key in it is marked so that the log does not keep it.
        """
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                "site_url": absolute_url("/"),
                "helpdesk_email": settings.HELPDESK_EMAIL,
                **context,
            },
        )
        alternatives = getattr(message, "alternatives", [])
        html = next((content for content, kind in alternatives if kind == "text/html"), "")
        for recipient in message.to:
            services.queue_message(
                recipient,
                message.subject,
                message.body if message.content_subtype == "plain" else "",
                html=html or (message.body if message.content_subtype == "html" else ""),
                kind="account: " + template_prefix.rsplit("/", 1)[-1].replace("_", " "),
                from_email=message.from_email,
                carries_secret=carries_secret(template_prefix, context),
            )
