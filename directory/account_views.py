"""/account/: a clinician sees, corrects, downloads and erases their own data."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from directory import mailing_list as the_list
from directory.access import clinician_for, private_response
from directory.account_forms import ErasureForm, MailingListForm, OwnRecordForm
from directory.services.personal_data import collect_own_data, erase_clinician, record_export


def _own_clinician(view):
    """Signed in, with a clinician record: otherwise the sign-in page or an explanation."""

    @login_required
    def wrapper(request, *args, **kwargs):
        clinician = clinician_for(request.user)
        if clinician is None:
            # A page that says why and what to do (staff have no record): not a broken link.
            return render(request, "directory/account_no_record.html")
        return private_response(view(request, clinician, *args, **kwargs))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_http_methods(["GET", "POST"])
@_own_clinician
def account(request, clinician):
    """The clinician's record, with a form to correct it."""
    form = OwnRecordForm(request.POST or None, instance=clinician)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your details have been saved.")
        return redirect("directory:account")
    return render(
        request,
        "directory/account.html",
        {
            "clinician": clinician,
            "form": form,
            "mailing_form": MailingListForm(
                initial={"stay_on_list": not clinician.mailing_opt_out}
            ),
        },
    )


@require_POST
@_own_clinician
def mailing_list(request, clinician):
    form = MailingListForm(request.POST)
    form.is_valid()
    the_list.set_membership(
        stay=form.cleaned_data.get("stay_on_list", False),
        clinician=clinician,
        user=request.user,
        how="account",
    )
    messages.success(
        request,
        "You have left the mailing list."
        if clinician.mailing_opt_out
        else "You are on the mailing list.",
    )
    return redirect("directory:account")


@require_http_methods(["GET"])
@_own_clinician
def download(request, clinician):
    """Everything held about the clinician, as a JSON file; the export goes to the audit log."""
    data = collect_own_data(clinician)
    record_export(clinician, request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="cmss-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@_own_clinician
def erase(request, clinician):
    """Ask for confirmation, then erase the clinician and their account and sign them out."""
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erase_clinician(clinician, requested_by=request.user)
        logout(request)
        return render(request, "directory/account_erased.html")
    return render(request, "directory/account_erase.html", {"form": form})


@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no cookie and no CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The unsubscribe link of every list message, no sign-in: GET shows a button; a POST (the
    button, or a mail client's RFC 8058 one-click "List-Unsubscribe=One-Click") leaves the list
    at once. Leaving changes nothing but the choice, so a forged POST can do no more harm than
    the link itself, which only its recipient has."""
    try:
        clinician, user, email = the_list.member_for_token(token)
    except the_list.UnknownMember:
        raise Http404("This unsubscribe link is not valid.") from None
    context = {"token": token, "email": email}
    if request.method == "POST":
        how = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "link"
        the_list.set_membership(stay=False, clinician=clinician, email=email, user=user, how=how)
        context["left"] = True
    else:
        context["on_list"] = the_list.on_list(clinician, email)
    return private_response(render(request, "directory/unsubscribe.html", context))


@csrf_exempt  # the same link's page, reached by its own token only
@require_POST
def rejoin(request, token):
    """Rejoin from the unsubscribe page (changed one's mind), with the same token."""
    try:
        clinician, user, email = the_list.member_for_token(token)
    except the_list.UnknownMember:
        raise Http404("This link is not valid.") from None
    the_list.set_membership(stay=True, clinician=clinician, email=email, user=user, how="link")
    return private_response(
        render(
            request,
            "directory/unsubscribe.html",
            {"token": token, "email": email, "rejoined": True},
        )
    )
