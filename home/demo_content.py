"""Demo content that ``seed_demo`` loads: the home page, the information package and its documents.

Everything here is plain data written for CMSS, plus ``simple_pdf``, which turns a title and a
few lines of text into a one-page PDF so that the package documents exist without a PDF library.

The organisation, people and addresses are fictional. StreamField bodies use the raw format of
``home.blocks.BodyBlock``: only the ``heading``, ``paragraph`` and ``callout`` block types, since
``document`` and ``image`` blocks would need database objects.
"""

import copy
import datetime
import textwrap

# Demo loaders of apps that home must not import (events registers its webinars from its
# AppConfig.ready): name -> function(home_page) returning a list of what it created.
_DEMO_LOADERS = {}


def register_demo(name, func):
    """Have ``seed_demo`` call ``func(home_page)`` inside its transaction, after home's own
    content. It returns a list of what it created (empty when all was there already)."""
    _DEMO_LOADERS[name] = func


def registered_demos():
    return list(_DEMO_LOADERS.items())


_HELPDESK_EMAIL = "helpdesk@cmss.example.eu"
_DPO_EMAIL = "dpo@cmss.example.eu"

# The same rule appears in the privacy statement and in the case-conference procedure.
_NO_PATIENT_DATA_CALLOUT = {
    "type": "callout",
    "value": {
        "title": "Never identify a patient",
        "text": (
            "<p>Describe the case only in the clinical terms your colleagues need. Do not give the "
            "patient's <b>name or initials</b>, <b>exact date of birth</b>, <b>address</b>, "
            "<b>phone number</b>, <b>email address</b> or any <b>identification number</b> "
            "(hospital, insurance or national ID). An age range and the relevant history are "
            "enough. The request form refuses text that looks identifying and tells you which "
            "part to change.</p>"
        ),
        "tone": "important",
    },
}

# --------------------------------------------------------------------------------------------
# Home page
# --------------------------------------------------------------------------------------------

HOME_TITLE = "Case conferences and webinars for Europe's reference hospitals"

HOME_INTRODUCTION = (
    "<p>CMSS connects clinicians in about 350 reference hospitals across the European Union, "
    "Iceland, Liechtenstein, Norway and the United Kingdom. When a case is hard, you can ask "
    "colleagues in other countries to discuss it with you in a <b>case conference</b>, or share "
    "what your team has learned in a <b>webinar</b>. Our helpdesk organises the meetings on "
    "Webex, so you can concentrate on the clinical discussion.</p>"
)

HOME_CALLS_TO_ACTION = [
    {
        "label": "Enrol as a clinician",
        "description": "Join the directory of contact clinicians and receive the information "
        "package.",
        "link_url": "/enrol/",
    },
    # The request form (/conferences/request/) and the webinar catalogue (/webinars/) do not
    # exist yet: until they do, these two cards lead to the pages that explain them.
    {
        "label": "Discuss a complex case",
        "description": "How a case conference works: invite colleagues from other hospitals to "
        "discuss a case with you.",
        "link_url": "/information-package/requesting-a-case-conference/",
    },
    {
        "label": "Share what you know in a webinar",
        "description": "How to propose a webinar, and how registration, reminders and "
        "recordings work.",
        "link_url": "/information-package/proposing-a-webinar/",
    },
    {
        "label": "Read the information package",
        "description": "Our privacy statement, the procedures we follow and a guide to Webex.",
        "link_url": "/information-package/",
    },
]

HOME_BODY = [
    {"type": "heading", "value": {"text": "How the network works", "level": "h2"}},
    {
        "type": "paragraph",
        "value": (
            "<p>Each participating hospital names one or two contact clinicians, who appear in a "
            "directory that only approved members can see. A member who wants a second opinion "
            "picks colleagues from the directory, suggests a few times and writes a short "
            "clinical question. The helpdesk finds a time that suits everyone, books the Webex "
            "meeting and sends the calendar invitations.</p>"
        ),
    },
    {
        "type": "paragraph",
        "value": (
            "<p>Members can also propose webinars on topics that matter to the network. The "
            "helpdesk announces them to the mailing list, handles registration and sends the "
            "reminders. Case conferences are never recorded; webinars only when the speaker "
            'agrees. Read more in the <a href="/information-package/">information package</a>.'
            "</p>"
        ),
    },
]

# --------------------------------------------------------------------------------------------
# Information package
# --------------------------------------------------------------------------------------------

INFORMATION_PACKAGE_TITLE = "Information package"

INFORMATION_PACKAGE_INTRODUCTION = (
    "<p>Every member of the network receives this package when their enrolment is approved. It "
    "explains how we handle your personal data, how to request a case conference or propose a "
    "webinar, and what you can do in Webex. When something changes, the helpdesk sends the "
    "updated package to the mailing list.</p>"
    f'<p>Questions are welcome at <a href="mailto:{_HELPDESK_EMAIL}">{_HELPDESK_EMAIL}</a>.</p>'
)

PRIVACY_STATEMENT = {
    "title": "Privacy statement",
    "slug": "privacy-statement",
    "version_label": "1.0",
    "effective_date": datetime.date(2026, 1, 15),
    "summary": (
        "How the CMSS Coordination Unit processes the personal data of clinicians and webinar "
        "participants, and how you can exercise your rights under Regulation (EU) 2018/1725."
    ),
    "body": [
        {
            "type": "paragraph",
            "value": (
                "<p>This statement explains what personal data CMSS processes, why, for how long "
                "and who sees it. It is given under Articles 15 and 16 of Regulation (EU) "
                "2018/1725, which applies to the EU institutions and bodies.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "Who is responsible", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<p>The controller is the <b>CMSS Coordination Unit</b>, which runs the network "
                "and its helpdesk on behalf of an EU body. You can reach it at "
                f'<a href="mailto:{_HELPDESK_EMAIL}">{_HELPDESK_EMAIL}</a>.</p>'
                "<p>The data protection officer can be contacted directly, in confidence, at "
                f'<a href="mailto:{_DPO_EMAIL}">{_DPO_EMAIL}</a>.</p>'
            ),
        },
        {"type": "heading", "value": {"text": "Why we process your data", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<ul>"
                "<li>to enrol you and keep the directory of hospitals and contact clinicians;</li>"
                "<li>to organise case conferences between members;</li>"
                "<li>to organise webinars and manage their registrations and reminders;</li>"
                "<li>to send you network announcements through the mailing list;</li>"
                "<li>to send you the information package and its updates.</li>"
                "</ul>"
                "<p>We take no automated decisions about you and build no profiles.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "Legal basis", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<p>Most processing is necessary for a <b>task carried out in the public "
                "interest</b> (Article 5(1)(a)): supporting cooperation between reference "
                "hospitals on complex cases.</p>"
                "<p>We rely on your <b>consent</b> (Article 5(1)(d)) for the mailing list and, "
                "for speakers, for recording a webinar. You may withdraw consent at any time; "
                "this does not affect what was done before.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "What data we process", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<ul>"
                "<li>your name, email address and phone number;</li>"
                "<li>your hospital, specialty, role in the network and the languages you speak;"
                "</li>"
                "<li>the case conferences you request or are invited to, and the webinars you "
                "propose or register for;</li>"
                "<li>the version of this statement you accepted, and delivery records of the "
                "emails we send you.</li>"
                "</ul>"
                "<p>If you register for a webinar without being a member, we process only your "
                "name, email address and registration.</p>"
                "<p>A conference request contains a short clinical question. It must describe "
                "the case, never the person.</p>"
            ),
        },
        _NO_PATIENT_DATA_CALLOUT,
        {"type": "heading", "value": {"text": "Who receives your data", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<ul>"
                "<li><b>Helpdesk staff</b> of the Coordination Unit, to run the service.</li>"
                "<li><b>National contact points</b>, for the hospitals and clinicians of their "
                "own country only.</li>"
                "<li><b>Other approved clinicians</b>, who see your contact details in the "
                "directory and the names of those invited to the same meeting.</li>"
                "<li><b>Cisco Webex</b>, our video-conferencing provider, acting as processor: "
                "it receives the names and email addresses of meeting participants.</li>"
                "<li>Our <b>email delivery provider</b>, acting as processor: it receives your "
                "email address and the messages we send you.</li>"
                "</ul>"
                "<p>The public sees only the names and cities of participating hospitals, never "
                "yours. Data may also be disclosed to bodies entitled to it under EU law, such "
                "as auditors or the European Data Protection Supervisor.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "Transfers outside the EU and EEA", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<p>Webex meetings are hosted in European data centres where possible, but the "
                "provider may access some data from outside the EU/EEA, for example for support. "
                "Such transfers take place only with the safeguards of Chapter V of the "
                "Regulation: an adequacy decision where one applies, otherwise standard data "
                "protection clauses in our contract. Contact details shown to members in the "
                "United Kingdom are covered by the adequacy decision for the UK. The data "
                "protection officer can give you a copy of the safeguards.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "How long we keep it", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<ul>"
                "<li>Directory data: while you are a member, plus one year.</li>"
                "<li>Free text of a case-conference request: erased 30 days after the "
                "conference.</li>"
                "<li>Webinar registrations: one year after the webinar.</li>"
                "<li>Webinar recordings: for the period agreed with the speaker.</li>"
                "<li>Email delivery logs: six months.</li>"
                "</ul>"
                "<p>Case conferences are never recorded, and nothing said in them is stored.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "Your rights", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<p>You have the right to access your data, to have it rectified or erased, to "
                "restrict or object to its processing, to receive it in a portable format and to "
                "withdraw your consent.</p>"
                '<p>On your <a href="/account/">account page</a> you can see, correct, download '
                "and erase your data yourself. Otherwise write to the helpdesk or the data "
                "protection officer. We answer within one month; if a request is complex we may "
                "extend this by two months and will tell you why.</p>"
            ),
        },
        {"type": "heading", "value": {"text": "Complaints", "level": "h2"}},
        {
            "type": "paragraph",
            "value": (
                "<p>You may lodge a complaint with the European Data Protection Supervisor at any "
                'time, through <a href="https://edps.europa.eu">edps.europa.eu</a>. You are '
                "welcome to contact our data protection officer first, but you do not have to.</p>"
            ),
        },
    ],
}

STANDARD_PAGES = [
    # The record of processing that Article 31 of Regulation (EU) 2018/1725 asks the controller
    # to keep; an editable page of the package, printed and sent with it.
    {
        "title": "Record of processing",
        "slug": "record-of-processing",
        "summary": (
            "The record of this processing operation under Article 31 of Regulation (EU) "
            "2018/1725: who processes which data, why, for how long and with whom it is shared."
        ),
        "body": [
            {
                "type": "paragraph",
                "value": (
                    "<p><b>Controller:</b> the unit that runs the CMSS helpdesk. "
                    "<b>Purpose:</b> putting clinicians of reference hospitals in touch through "
                    "case conferences, webinars and a mailing list. <b>Data subjects:</b> "
                    "clinicians of member hospitals, national contact points, webinar "
                    "registrants. <b>Data:</b> name, email, phone, hospital, specialty, role, "
                    "languages, and the privacy statement version accepted. <b>Recipients:</b> "
                    "the helpdesk, approved clinicians (the directory), national contact points "
                    "(their own country) and, on request, the Health Security Committee. "
                    "<b>Retention:</b> as set in the site's settings; a clinician may erase "
                    "their data at any time. <b>Transfers outside the EU/EEA:</b> none, other "
                    "than to clinicians of United Kingdom hospitals taking part.</p>"
                ),
            },
        ],
    },
    {
        "title": "Requesting a case conference",
        "slug": "requesting-a-case-conference",
        "summary": (
            "How to ask colleagues in other reference hospitals to discuss a complex case with "
            "you, and what the helpdesk does with your request."
        ),
        "body": [
            {
                "type": "paragraph",
                "value": (
                    "<p>A case conference is a Webex meeting in which you present a difficult "
                    "case to colleagues you choose from the directory. The helpdesk takes care "
                    "of the scheduling and the invitations.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Who may request one", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Any approved clinician of the network can request a case conference. "
                    "You invite people who are listed in the directory, either by name or by "
                    "choosing a hospital's contact persons.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "How to request it", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<ol>"
                    "<li>Sign in and open the request form (Case conferences, in the menu at the "
                    "top of every page).</li>"
                    "<li>Choose the invitees from the directory.</li>"
                    "<li>Propose one or more time slots. The more you offer, the sooner we can "
                    "find one that suits everyone.</li>"
                    "<li>Set the duration and the language of the discussion.</li>"
                    "<li>Write a short clinical question: what you want your colleagues to help "
                    "you decide.</li>"
                    "</ol>"
                ),
            },
            copy.deepcopy(_NO_PATIENT_DATA_CALLOUT),
            {"type": "heading", "value": {"text": "What the helpdesk does", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>The helpdesk checks each proposed slot against the local time of every "
                    "participant and avoids times outside working hours where it can. It then "
                    "picks a slot and books the Webex meeting.</p>"
                    "<p>Every participant receives a calendar invitation that works with "
                    "Outlook and other calendar programs. It contains the join link, the meeting "
                    "password and the telephone dial-in numbers. We aim to confirm within two "
                    "working days.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Changes and cancellations", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>If you need another time or can no longer hold the conference, write to "
                    f'<a href="mailto:{_HELPDESK_EMAIL}">{_HELPDESK_EMAIL}</a> as early as '
                    "possible. When the time changes, everyone receives an update that replaces "
                    "the entry in their calendar. When a conference is cancelled, everyone "
                    "receives a cancellation and the Webex meeting is deleted.</p>"
                    "<p>If you are invited and cannot attend, please tell the helpdesk so the "
                    "requester knows in good time.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Confidentiality", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Case conferences are <b>never recorded</b>, and nothing said in them is "
                    "stored by the helpdesk. The free text of your request is erased 30 days "
                    "after the conference. Before you share your screen, close any window that "
                    "shows patient records.</p>"
                ),
            },
        ],
    },
    {
        "title": "Proposing a webinar",
        "slug": "proposing-a-webinar",
        "summary": (
            "How to propose a webinar to the network, how the helpdesk schedules it and how "
            "registration, reminders and recordings work."
        ),
        "body": [
            {
                "type": "paragraph",
                "value": (
                    "<p>Webinars let members share experience with the whole network: a new "
                    "treatment approach, lessons from a series of cases, or the set-up of a "
                    "service. Any approved clinician can propose one.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Making a proposal", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Sign in and fill in the proposal form. You will be asked for:</p>"
                    "<ul>"
                    "<li>the topic, as a short working title;</li>"
                    "<li>an abstract of a few sentences, which will appear in the catalogue;</li>"
                    "<li>the time slots in which you are available;</li>"
                    "<li>whether you agree to the webinar being recorded.</li>"
                    "</ul>"
                ),
            },
            {"type": "heading", "value": {"text": "Scheduling and announcement", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>The helpdesk reviews your proposal and may contact you to settle the "
                    "details. It announces the webinar to the mailing list, schedules a Webex "
                    "webinar in one of your slots and publishes a page for it in the webinar "
                    "catalogue (Webinars, in the menu at the top of every page). You receive a "
                    "separate invitation as speaker. A short test session beforehand can be arranged on "
                    "request.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Registration and seats", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Anyone working in healthcare can register with a confirmed email "
                    "address; signed-in members register with one click. Our Webex licence "
                    "allows <b>100 seats</b> per webinar. When they are taken, new registrants "
                    "join a waiting list and are offered a place, in order, as soon as someone "
                    "cancels.</p>"
                    "<p>Every email about the webinar contains a link to cancel your place, "
                    "which works without signing in. Please use it if you cannot attend, so "
                    "the next person on the waiting list can join.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Invitations and reminders", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Registrants receive a calendar invitation with the join link, then "
                    "reminders <b>one day</b> and <b>one hour</b> before the start. If the time "
                    "changes or the webinar is cancelled, an update or cancellation follows "
                    "automatically.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Recordings", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>A webinar is recorded only when the speaker has agreed. The recording "
                    "link is then sent to registrants, and shown publicly in the catalogue "
                    "if the speaker agreed to that as well. It is kept for the period agreed "
                    "with the speaker.</p>"
                ),
            },
            {
                "type": "callout",
                "value": {
                    "title": "Recording is the speaker's choice",
                    "text": (
                        "<p>You can withdraw your consent to recording at any time by writing "
                        f'to <a href="mailto:{_HELPDESK_EMAIL}">{_HELPDESK_EMAIL}</a>. The '
                        "recording is then removed. Patient cases shown in a webinar must "
                        "be fully anonymised, whether or not it is recorded.</p>"
                    ),
                    "tone": "info",
                },
            },
        ],
    },
    {
        "title": "Functionalities",
        "slug": "functionalities",
        "summary": (
            "What Webex offers members of the network, how to join a meeting and a few tips for "
            "a smooth conference."
        ),
        "body": [
            {
                "type": "paragraph",
                "value": (
                    "<p>All case conferences and webinars of the network take place on Cisco "
                    "Webex. The helpdesk hosts them, so you only need the invitation to take "
                    "part. No Webex account of your own is required.</p>"
                ),
            },
            {"type": "heading", "value": {"text": "Ways to join", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<ul>"
                    "<li><b>From a web browser</b>, with nothing to install: useful on a "
                    "hospital computer where you cannot add software.</li>"
                    "<li><b>With the desktop app</b> for Windows or macOS, which gives the best "
                    "sound and picture.</li>"
                    "<li><b>With the mobile app</b> for Android or iOS, when you are away from "
                    "your desk.</li>"
                    "<li><b>By telephone</b>, using the dial-in numbers in the invitation, if "
                    "your connection is poor or you are travelling.</li>"
                    "</ul>"
                ),
            },
            {"type": "heading", "value": {"text": "During a meeting", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<ul>"
                    "<li><b>Screen and application sharing</b>: show slides, an anonymised "
                    "image or a single application window. Sharing one window rather than the "
                    "whole screen keeps other documents private.</li>"
                    "<li><b>Chat</b>: send a message to everyone or to one participant, for "
                    "example to share a reference without interrupting.</li>"
                    "<li><b>Up to 100 participants</b> in one meeting or webinar.</li>"
                    "<li><b>Mute, video and raise hand</b>, so a larger group can take turns.</li>"
                    "</ul>"
                ),
            },
            {"type": "heading", "value": {"text": "Security", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>Every meeting has its own <b>password</b>, sent only to the people "
                    "invited. Please do not forward an invitation: if a colleague should join, "
                    "ask the helpdesk to invite them. The helpdesk, as host, can see who is "
                    "connected and remove anyone who should not be there.</p>"
                ),
            },
            {
                "type": "callout",
                "value": {
                    "title": "Tips for a smooth meeting",
                    "text": (
                        "<ul>"
                        "<li>Test your audio and camera beforehand, with the test option in "
                        "Webex or a colleague.</li>"
                        "<li>Join <b>five minutes early</b>, so any problem is solved before "
                        "the start.</li>"
                        "<li>Use a <b>headset</b>: it avoids echo and makes you easier to "
                        "understand.</li>"
                        "<li>Mute your microphone when you are not speaking.</li>"
                        "<li>Close patient records before you share your screen.</li>"
                        "</ul>"
                    ),
                    "tone": "info",
                },
            },
            {"type": "heading", "value": {"text": "Getting help", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    "<p>If you cannot connect, or something does not work as expected, write to "
                    f'<a href="mailto:{_HELPDESK_EMAIL}">{_HELPDESK_EMAIL}</a>. During a meeting, '
                    "the dial-in numbers in your invitation are the quickest way back in.</p>"
                ),
            },
        ],
    },
]

PACKAGE_DOCUMENTS = [
    {
        "title": "Helpdesk quick guide",
        "filename": "helpdesk-quick-guide.pdf",
        "description": "One page on what the helpdesk does for you and how to reach it.",
        "lines": [
            "The CMSS helpdesk organises case conferences and webinars for the clinicians of",
            "the network's reference hospitals.",
            "",
            f"Contact: {_HELPDESK_EMAIL}",
            f"Data protection officer: {_DPO_EMAIL}",
            "",
            "What the helpdesk does for you:",
            "- approves enrolments and keeps the directory of hospitals and contact clinicians;",
            "- books Webex meetings for case conferences and sends the calendar invitations;",
            "- schedules webinars, manages registrations, waiting lists and reminders;",
            "- sends announcements and the information package to the mailing list.",
            "",
            "What you can do yourself on the website:",
            "- enrol at /enrol/ and see, correct, download or erase your data at /account/;",
            "- request a case conference at /conferences/request/;",
            "- browse and register for webinars at /webinars/.",
            "",
            "Please remember: never include anything that identifies a patient in a request.",
            "Case conferences are never recorded.",
        ],
    },
    {
        "title": "Checklist before a case conference",
        "filename": "case-conference-checklist.pdf",
        "description": "Points to check in the days and minutes before a case conference.",
        "lines": [
            "When you request the conference:",
            "[ ] The invitees are the right colleagues for the question.",
            "[ ] You offered several time slots and chose a language everyone speaks.",
            "[ ] The clinical question is short and contains no patient name, initials, exact",
            "    date of birth, address, phone number, email address or ID number.",
            "",
            "The day before:",
            "[ ] You received the calendar invitation with the join link and password.",
            "[ ] Your slides and images are anonymised.",
            "[ ] Webex works on the device you will use (browser, app or telephone).",
            "",
            "Five minutes before:",
            "[ ] Headset connected, audio tested, microphone muted until you speak.",
            "[ ] Patient records and unrelated windows are closed before you share a screen.",
            "",
            f"Problems or changes: {_HELPDESK_EMAIL}",
        ],
    },
    {
        "title": "Webinar speaker checklist",
        "filename": "webinar-speaker-checklist.pdf",
        "description": "What speakers prepare, from the proposal to the recording.",
        "lines": [
            "Proposal: topic, a short abstract, the time slots you are available, and whether",
            "you agree to the webinar being recorded.",
            "",
            "Before the webinar:",
            "- check the catalogue page the helpdesk publishes for your webinar;",
            "- ask for a short test session if you have not presented on Webex before;",
            "- make sure every case in your slides is fully anonymised.",
            "",
            "On the day: join 15 minutes early with a headset and a stable connection.",
            "The webinar allows up to 100 participants.",
            "",
            "Recording: only if you agreed. You can withdraw your consent at any time.",
            "",
            f"Contact: {_HELPDESK_EMAIL}",
        ],
    },
]


def simple_pdf(title: str, lines: list[str]) -> bytes:
    """Return a one-page A4 PDF 1.4 showing ``title`` and then ``lines`` in Helvetica.

    Text is encoded as WinAnsi (Windows-1252); characters outside it become "?". Long lines are
    wrapped at 90 characters; lines that do not fit on the page are cut off with a final "[...]".
    """
    page_width, page_height, margin = 595, 842, 56
    title_size, text_size, leading = 16, 10, 14

    def pdf_string(text: str) -> bytes:
        text = "".join(" " if ord(char) < 32 else char for char in text)
        raw = text.encode("cp1252", errors="replace")
        raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        return b"(" + raw + b")"

    title_lines = textwrap.wrap(title, width=60) or [""]
    body_lines: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(
            line.strip(), width=90, initial_indent=indent, subsequent_indent=indent
        )
        body_lines.extend(wrapped or [""])
    room = (page_height - 2 * margin - len(title_lines) * 20 - leading) // leading
    if len(body_lines) > room:
        body_lines = [*body_lines[: room - 1], "[...]"]

    ops = [b"BT", b"/F1 %d Tf" % title_size, b"20 TL", b"%d %d Td" % (margin, page_height - margin)]
    for line in title_lines:
        ops.append(pdf_string(line) + b" Tj T*")
    ops += [b"/F1 %d Tf" % text_size, b"%d TL" % leading, b"T*"]
    for line in body_lines:
        ops.append(pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    content = b"\n".join(ops)

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % (page_width, page_height),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_offset = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_offset,
    )
    return bytes(out)
