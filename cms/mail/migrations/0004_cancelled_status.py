"""Mail cancelled because its recipient's data was erased gets its own status, "cancelled".

Before this, erasure marked such mail "failed", which read as a delivery fault in the mail log.
Messages already cancelled that way (their reason starts with ERASED_PREFIX) are moved over.
"""

from django.db import migrations, models

# How cms.mail's erasure began the reason of a message it cancelled.
ERASED_PREFIX = "Cancelled: the recipient's personal data was erased"


def mark_erased_mail_cancelled(apps, schema_editor):
    OutgoingMessage = apps.get_model("mail", "OutgoingMessage")
    OutgoingMessage.objects.filter(status="failed", last_error__startswith=ERASED_PREFIX).update(
        status="cancelled"
    )


def mark_cancelled_mail_failed(apps, schema_editor):
    OutgoingMessage = apps.get_model("mail", "OutgoingMessage")
    OutgoingMessage.objects.filter(status="cancelled").update(status="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0003_secret_mail"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outgoingmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("bounced", "Bounced"),
                    ("held", "Held"),
                    ("cancelled", "Cancelled"),
                ],
                db_index=True,
                default="queued",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_erased_mail_cancelled, mark_cancelled_mail_failed),
    ]
