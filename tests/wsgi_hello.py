"""The smallest WSGI application, for tests of what gunicorn itself adds to a response."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]
