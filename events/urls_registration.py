"""Addresses of the webinar registration (included by events/urls.py, in its namespace)."""

urlpatterns = []
