"""Addresses of the webinar catalogue (included by events/urls.py, in its namespace)."""

urlpatterns = []
