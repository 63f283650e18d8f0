"""Addresses of the webinar proposals (included by events/urls.py, in its namespace)."""

urlpatterns = []
