"""What one part of the webinar work tells the others, without importing them.

Each signal is sent after the change is saved, inside the transaction that saved it; a
receiver that sends mail or talks to Webex does so after commit (the mail service and the
booking tasks already wait for it).

- ``registration_confirmed(registration)``: a registrant now holds a place (confirmed at once,
  or promoted from the waiting list). The Webex part registers them on the Webex webinar.
- ``registration_cancelled(registration)``: a place or a place in line was given up.
- ``webinar_changed(webinar, fields)``: a published webinar's time, title or join details
  changed (``fields`` names what changed); registrants are sent an update.
- ``webinar_cancelled(webinar)``: the webinar was cancelled; registrants are sent a
  cancellation and their registrations end.
"""

from django.dispatch import Signal

registration_confirmed = Signal()
registration_cancelled = Signal()
webinar_changed = Signal()
webinar_cancelled = Signal()
