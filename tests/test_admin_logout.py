"""The admin's "Log out" signs out on POST only: a GET (a link or an image on another site) leaves
the staff member signed in (issue 8, point 11: found by the authorisation matrix)."""

from django.contrib.auth import SESSION_KEY


def test_a_get_to_the_admin_logout_keeps_the_session(client, make_staff):
    staff = make_staff("helpdesk", "Helpdesk")
    client.force_login(staff)
    session_cookie = client.cookies["sessionid"].value

    response = client.get("/admin/logout/")

    assert response.status_code == 200  # a page asking to confirm, nothing done
    assert b'method="post"' in response.content
    assert client.cookies["sessionid"].value == session_cookie
    assert client.session.get(SESSION_KEY) == str(staff.pk)


def test_the_admin_logout_post_signs_out(client, make_staff):
    client.force_login(make_staff("helpdesk", "Helpdesk"))

    response = client.post("/admin/logout/")

    assert response.status_code == 302
    assert SESSION_KEY not in client.session
