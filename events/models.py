"""Webinars, registrations, proposals and case conferences (built out by the events work)."""
