"""Browser tests: headless Chromium against a live server (pytest -m browser)."""
