"""gunicorn's settings for production: `gunicorn -c cms/gunicorn.conf.py cms.wsgi` (README).

gunicorn names itself in a `Server: gunicorn` header on every response and has no setting to stop
it; naming the server only helps an attacker. This file drops that header from every HTTP/1.1
response gunicorn writes (the site serves HTTP/1.1 on the loopback behind the TLS proxy) and keeps
gunicorn's name and version out of the WSGI environment (SERVER_SOFTWARE). The other values are
ordinary gunicorn settings; the command line or GUNICORN_CMD_ARGS may override them.
"""

import gunicorn
from gunicorn.http import wsgi as _http1

gunicorn.SERVER = gunicorn.SERVER_SOFTWARE = ""
_http1.SERVER = _http1.SERVER_SOFTWARE = ""

_default_headers = _http1.Response.default_headers


def _default_headers_without_server(response):
    return [line for line in _default_headers(response) if not line.lower().startswith("server:")]


_http1.Response.default_headers = _default_headers_without_server

# The site's own defaults (README, "Running in production").
bind = "127.0.0.1:8000"
workers = 4
control_socket_disable = True
