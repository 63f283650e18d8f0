from django.urls import path

from directory import account_views, public_views, views

app_name = "directory"

urlpatterns = [
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/confirmed/", views.enrol_confirmed, name="enrol_confirmed"),
    path("enrol/hospitals/", views.enrol_hospitals, name="enrol_hospitals"),
    path("hospitals/", public_views.hospital_list, name="hospitals"),
    path("directory/", public_views.directory, name="directory"),
    path("account/", account_views.account, name="account"),
    path("account/mailing-list/", account_views.mailing_list, name="mailing_list"),
    path("account/download/", account_views.download, name="account_download"),
    path("account/erase/", account_views.erase, name="account_erase"),
    path("mailing-list/leave/<str:token>/", account_views.unsubscribe, name="unsubscribe"),
    path("mailing-list/rejoin/<str:token>/", account_views.rejoin, name="mailing_list_rejoin"),
]
