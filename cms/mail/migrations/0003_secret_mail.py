"""Messages that carry a one-time code are marked, and the codes already in the log are blanked.

Before this, every sign-in and confirmation code stayed readable in the admin. allauth's
emails were logged with the kind "account: <template name>"; those of the templates that
carry a code or key (cms.mail.adapter.SECRET_TEMPLATES, as they were when this was written)
are marked, and their bodies blanked unless they are still waiting to be sent.
"""

from django.db import migrations, models

SECRET_KINDS = [
    "account: login code",
    "account: email confirmation",
    "account: email confirmation signup",
    "account: password reset key",
    "account: password reset code",
]


def blank_logged_codes(apps, schema_editor):
    OutgoingMessage = apps.get_model("mail", "OutgoingMessage")
    secrets = OutgoingMessage.objects.filter(kind__in=SECRET_KINDS)
    secrets.update(carries_secret=True)
    secrets.exclude(status__in=["queued", "sending"]).update(
        body_text="", body_html="", attachments=[]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0002_helpdesk_mail_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmessage",
            name="carries_secret",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text=(
                    "It holds a one-time code or key: not shown, not resent, blanked once sent."
                ),
            ),
        ),
        migrations.RunPython(blank_logged_codes, migrations.RunPython.noop),
    ]
