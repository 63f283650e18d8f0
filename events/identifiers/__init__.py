"""The patient-identifier guard: finds what in a clinician's free text could identify a patient.

A case-conference request crosses borders and lands in colleagues' mailboxes, so its free text
must not name the patient. `find_identifiers(text)` lists what looks identifying, each part with
a plain-language reason; `check(text)` raises Django's `ValidationError` naming each part, for a
form to show on its field. What it looks for, each in its own module:

- names (`names`): a title, a word for the patient, or a listed given name before a name;
- exact dates that could be a date of birth (`dates`);
- street addresses (`addresses`);
- phone numbers (`phones`, with the phonenumbers library);
- email addresses (`emails`);
- national identity and insurance numbers that pass their checksum (`numbers`, python-stdnum);
- record, insurance and identity numbers announced by their label (`records`).

Clinical facts pass: age in years, sex, symptoms, lab values, doses, imaging findings, relative
dates, hospitals, drugs and eponymous diseases. The word lists are in English, French, German,
Italian, Spanish, Dutch, Polish and Swedish. Nothing here imports from the project: the guard is
plain text in, findings out.
"""

from django.core.exceptions import ValidationError

from .addresses import find_addresses
from .dates import find_dates
from .emails import find_emails
from .findings import Finding
from .names import find_names
from .numbers import find_id_numbers
from .phones import find_phones, looks_dialled
from .records import find_record_numbers

__all__ = ["Finding", "check", "find_identifiers"]

# In this order, when two findings overlap the earlier kind names the part: "MRN 4471902" is a
# record number before its digits are a phone number, and "12.03.1961" a date before a number.
DETECTORS = (
    find_record_numbers,
    find_emails,
    find_dates,
    find_id_numbers,
    find_phones,
    find_addresses,
    find_names,
)


def find_identifiers(text):
    """What in `text` could identify a patient, as `Finding`s in the order they appear.

    Where two findings overlap, the longer one is kept; on a tie, the one from the detector
    listed first in DETECTORS, except that digits which pass both an ID checksum and a phone
    plan are called a phone number when written or announced as one ("+33 ...", "call 06...").
    """
    if not text or not text.strip():
        return []
    candidates = []
    for rank, detector in enumerate(DETECTORS):
        for finding in detector(text):
            dialled = finding.kind == "phone number" and looks_dialled(
                text, finding.start, finding.end
            )
            # A dialled number goes before an identity number with the same digits.
            candidates.append((finding.start - finding.end, -1 if dialled else rank, finding))
    kept = []
    for _, _, finding in sorted(candidates, key=lambda c: (c[0], c[1], c[2].start)):
        if any(finding.start < other.end and other.start < finding.end for other in kept):
            continue
        kept.append(finding)
    return sorted(kept, key=lambda finding: finding.start)


def check(text):
    """Raise `ValidationError` if `text` could identify a patient, with one message per part
    that looks identifying (the part, why, and what to write instead); return None otherwise."""
    findings = find_identifiers(text)
    if findings:
        raise ValidationError(
            [ValidationError(finding.message, code="patient_identifier") for finding in findings]
        )
