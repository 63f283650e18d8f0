"""Run the patient-identifier guard over a file of texts, one per line:
`manage.py check_identifiers [FILE]` (standard input when FILE is left out).

Prints one line per input line, in order: `pass`, or `refuse`, a tab and what looks identifying
(each part with its reason, separated by "; "). The input is read as UTF-8 (a byte-order mark is
dropped, undecodable bytes become U+FFFD); lines end at LF, and a CR before it is dropped. The
exit status is 0 whatever the guard finds.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from events.identifiers import find_identifiers


def _lines(stream):
    """The lines of a binary or text stream as str, without their line ending."""
    for number, line in enumerate(stream):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        if number == 0:
            line = line.removeprefix("\ufeff")
        yield line.removesuffix("\n").removesuffix("\r")


class Command(BaseCommand):
    help = (
        "Check each line of FILE (or standard input) for what could identify a patient; print "
        "'pass', or 'refuse', a tab and what looks identifying, one line per input line."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="UTF-8 text file, one text per line")

    def handle(self, *args, **options):
        if options["file"]:
            try:
                stream = open(options["file"], "rb")  # noqa: SIM115 (closed below)
            except OSError as error:
                raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        else:
            stream = options.get("stdin") or getattr(sys.stdin, "buffer", sys.stdin)
        out = getattr(self.stdout, "_out", None)
        encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "")
        if encoding != "utf8" and hasattr(out, "reconfigure"):
            out.reconfigure(encoding="utf-8")  # the output is UTF-8 whatever the locale says
        try:
            for line in _lines(stream):
                findings = find_identifiers(line)
                if findings:
                    what = "; ".join(finding.reason for finding in findings)
                    self.stdout.write("refuse\t" + " ".join(what.split()))
                else:
                    self.stdout.write("pass")
        finally:
            if options["file"]:
                stream.close()
