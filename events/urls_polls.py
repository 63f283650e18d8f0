"""The case-conference slot poll: /conferences/poll/<token>/, the no-login link each invitee
is emailed (events/views/polls.py)."""

from django.urls import path

from events.views import polls

urlpatterns = [
    path("conferences/poll/<str:token>/", polls.poll, name="conference_poll"),
]
