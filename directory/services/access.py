"""Who may see and change which part of the directory.

The helpdesk (and superusers) keep the whole directory. A national contact point belongs to one
group per country, named ``National contact point – <country name>``; the name is the link between
group and country, so renaming a country means renaming its group (migration 0003 made one each).
"""

from django.contrib.auth.models import Group

from directory.models import Clinician, Country, Hospital

HELPDESK_GROUP = "Helpdesk"
NATIONAL_CONTACT_POINT_PREFIX = "National contact point – "

_CACHE_ATTRIBUTE = "_cmss_directory_country_ids"
_GROUPS_ATTRIBUTE = "_cmss_group_names"


def group_names(user):
    """The names of ``user``'s groups. Read once per request: the answer is kept on the user
    object, so the admin's menu items, panels and views that each ask cost one query together."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    names = getattr(user, _GROUPS_ATTRIBUTE, None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _GROUPS_ATTRIBUTE, names)
    return names


def is_helpdesk(user):
    """A superuser or a member of the Helpdesk group: who works the queues and the lists."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or HELPDESK_GROUP in group_names(user)
    )


def national_contact_point_group_name(country):
    """The name of the group of the national contact points of ``country`` (a Country or a name)."""
    return f"{NATIONAL_CONTACT_POINT_PREFIX}{getattr(country, 'name', country)}"


def national_contact_point_group(country):
    """The group of ``country``'s national contact points; raises Group.DoesNotExist if missing."""
    return Group.objects.get(name=national_contact_point_group_name(country))


def countries_for_user(user):
    """The ids of the countries whose directory ``user`` may keep, or None when that is all of them.

    None for superusers and the helpdesk; otherwise a frozenset (empty for anyone else). The answer
    is kept on the user object, so a listing asks the database once per request, not once per row.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if hasattr(user, _CACHE_ATTRIBUTE):
        return getattr(user, _CACHE_ATTRIBUTE)
    names = group_names(user)
    if user.is_superuser or HELPDESK_GROUP in names:
        country_ids = None
    else:
        country_names = [
            name.removeprefix(NATIONAL_CONTACT_POINT_PREFIX)
            for name in names
            if name.startswith(NATIONAL_CONTACT_POINT_PREFIX)
        ]
        country_ids = frozenset(
            Country.objects.filter(name__in=country_names).values_list("pk", flat=True)
        )
    setattr(user, _CACHE_ATTRIBUTE, country_ids)
    return country_ids


def countries_visible_to(user, queryset=None):
    """Countries ``user`` may file hospitals under."""
    queryset = Country.objects.all() if queryset is None else queryset
    country_ids = countries_for_user(user)
    return queryset if country_ids is None else queryset.filter(pk__in=country_ids)


def hospitals_visible_to(user, queryset=None):
    """Hospitals ``user`` may see and change."""
    queryset = Hospital.objects.all() if queryset is None else queryset
    country_ids = countries_for_user(user)
    # Filtered on "country" (a search FilterField) so the scoped queryset can still be searched.
    return queryset if country_ids is None else queryset.filter(country__in=country_ids)


def clinicians_visible_to(user, queryset=None):
    """Clinicians ``user`` may see and change; a clinician without a hospital is the helpdesk's."""
    queryset = Clinician.objects.all() if queryset is None else queryset
    country_ids = countries_for_user(user)
    if country_ids is None:
        return queryset
    return queryset.filter(hospital__in=Hospital.objects.filter(country__in=country_ids))


def visible_to(user, queryset):
    """``queryset`` (of hospitals or clinicians) cut down to what ``user`` may see."""
    if queryset.model is Hospital:
        return hospitals_visible_to(user, queryset)
    if queryset.model is Clinician:
        return clinicians_visible_to(user, queryset)
    raise TypeError(f"No directory scope for {queryset.model.__name__}")


def in_scope(user, instance):
    """Whether ``user`` may see and change ``instance`` (a Hospital or a Clinician)."""
    country_ids = countries_for_user(user)
    if country_ids is None:
        return True
    if isinstance(instance, Hospital):
        return instance.country_id in country_ids
    if isinstance(instance, Clinician):
        return instance.hospital_id is not None and instance.hospital.country_id in country_ids
    raise TypeError(f"No directory scope for {type(instance).__name__}")


def limit_form_choices(form, user):
    """Offer ``user`` only the countries and hospitals they keep, in a hospital or clinician form.

    The field querysets are what the form validates against, so a posted id from elsewhere is
    refused, not just hidden.
    """
    if "country" in form.fields:
        form.fields["country"].queryset = countries_visible_to(
            user, form.fields["country"].queryset
        )
    if "hospital" in form.fields:
        form.fields["hospital"].queryset = hospitals_visible_to(
            user, form.fields["hospital"].queryset
        )
    return form
