"""allauth's account adapter: its emails (sign-in codes, confirmations) go through the mail service."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from cms.mail import services


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render allauth's message as allauth does, then queue it with the other outgoing mail."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
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
            )
