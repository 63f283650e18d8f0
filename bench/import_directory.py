"""Time and memory of the directory import: 15,000 hospitals and 5,000 clinicians on SQLite.

Generates a CSV (deterministic; Greek, Cyrillic, Polish, Czech and German names mixed in; one row per
hospital without a person and one per clinician), migrates a fresh SQLite database in a temporary
folder (in a separate process, so that the migrations do not count towards the import's memory),
then in this process:

- parses the file without touching the database (the baseline: what reading alone costs),
- plans the import as a dry run does (reading, checking, matching; no writes),
- imports it (the measured figure; the goal is under 30 s with peak memory under 500 MB), and
  times the one write transaction apart (how long a task worker sharing SQLite waits at most),
- imports it again, which must leave every row unchanged.

Prints the wall times, the import's ratio to the baseline, and the process's peak resident memory
(ru_maxrss, which includes Django itself). Run from the repository root:

    .venv/bin/python bench/import_directory.py [--hospitals 15000] [--clinicians 5000]

Nothing is downloaded and the developer's db.sqlite3 is left alone. The exit status is 0 whether or
not the goals are met (this is a report) and non-zero when the import fails or its counts are wrong.
"""

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_GOAL = 30.0
MEMORY_GOAL_MB = 500

# Country code as the file writes it, with a few city names and a way to name a hospital.
PLACES = {
    "EL": (["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο"], "Γενικό Νοσοκομείο {n} «{city}»"),
    "BG": (["София", "Пловдив", "Варна", "Бургас"], "Университетска болница {n} {city}"),
    "PL": (["Kraków", "Łódź", "Gdańsk", "Wrocław"], "Szpital Specjalistyczny nr {n} w {city}"),
    "CZ": (["Praha", "Brno", "Ostrava", "Plzeň"], "Fakultní nemocnice {n} {city}"),
    "DE": (["München", "Köln", "Lübeck", "Düsseldorf"], "Universitätsklinikum {n} {city}"),
    "FR": (["Paris", "Lyon", "Besançon", "Nîmes"], "Hôpital {n} de {city}"),
    "UK": (["London", "Leeds", "Cardiff", "Belfast"], "St Mary's Hospital {n}, {city}"),
    "Italy": (["Roma", "Milano", "Napoli", "Forlì"], "Ospedale {n} di {city}"),
    "ES": (["Madrid", "A Coruña", "Málaga", "Logroño"], "Hospital Universitario {n} {city}"),
    "Sweden": (["Stockholm", "Göteborg", "Malmö", "Umeå"], "Sjukhus {n} i {city}"),
}
FIRST_NAMES = ["Γιώργος", "Мария", "Łukasz", "Jiří", "Jürgen", "Anne-Marie", "Seán", "Zoë", "ANNA"]
LAST_NAMES = [
    "Παπαδόπουλος",
    "Иванова",
    "Żółć",
    "Dvořák",
    "Großmann",
    "O'Brien",
    "NOWAK",
    "Lefèvre",
]
ROLES = ["contact person", "case manager", "other", ""]


def generate(path, hospitals, clinicians):
    """Write the benchmark CSV; returns the number of data rows."""
    rng = random.Random(20260115)  # the same file on every run
    countries = list(PLACES)
    names = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            [
                "Country",
                "Hospital",
                "City",
                "Website",
                "First name",
                "Last name",
                "Email",
                "Phone",
                "Specialty",
                "Role",
                "Notes",
            ]
        )
        for n in range(hospitals):
            country = countries[n % len(countries)]
            cities, pattern = PLACES[country]
            city = cities[(n // len(countries)) % len(cities)]
            name = pattern.format(n=n, city=city)
            city = "" if n % 50 == 0 else city  # some rows have no city
            website = f"hospital-{n}.example.eu" if n % 3 else ""
            if n % 1000 == 7:  # the real list's typos: repaired, with a warning
                website = f"http//:www. hospital-{n}.example.eu"
            names.append((country, name, city))
            writer.writerow(
                [country, name, city, website, "", "", "", "", "", "", "from the 2020 list"]
            )
        contacts = {}
        for n in range(clinicians):
            country, name, city = names[rng.randrange(len(names))]
            role = ROLES[n % len(ROLES)]
            if role == "contact person":
                if contacts.get(name, 0) >= 2:
                    role = "other"
                contacts[name] = contacts.get(name, 0) + 1
            writer.writerow(
                [
                    country,
                    name,
                    city,
                    "",
                    rng.choice(FIRST_NAMES),
                    f"{rng.choice(LAST_NAMES)}-{n}",
                    f"clinician.{n}@hospital.example.eu",
                    f"+32 2 5{n:06d}",
                    "Infectious diseases, intensive care",
                    role,
                    "",
                ]
            )
    return hospitals + clinicians


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hospitals", type=int, default=15_000)
    parser.add_argument("--clinicians", type=int, default=5_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cmss-bench-import-") as folder:
        folder = Path(folder)
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
            "DJANGO_DEBUG": "0",  # DEBUG keeps every query in memory
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        }
        path = folder / "directory.csv"
        rows = generate(path, options.hospitals, options.clinicians)
        size = path.stat().st_size
        print(f"file: {rows} rows, {size / 1024 / 1024:.1f} MB ({path.name})")

        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
        os.environ.update(environment)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from directory.models import Clinician, Hospital
        from directory.services.imports import plan_import, read_rows, run_import

        sheet, parse_seconds = timed(read_rows, path)
        assert len(sheet.rows) == rows, len(sheet.rows)
        memory_before = peak_mb()
        _, plan_seconds = timed(plan_import, path)

        from directory.services import imports

        checked, indexed = [], []
        update_search_index = imports._update_search_index

        def timed_index(written):
            indexed.append(timed(update_search_index, written)[1])

        imports._update_search_index = timed_index
        report, import_seconds = timed(
            run_import, path, progress=lambda done, total: checked.append(time.perf_counter())
        )
        imports._update_search_index = update_search_index
        write_seconds = time.perf_counter() - checked[-1] - indexed[0]
        memory_peak = peak_mb()
        if not (report.ok and report.written):
            sys.exit(f"the import failed: {report.summary()} {[str(e) for e in report.errors[:5]]}")
        hospitals, clinicians = Hospital.objects.count(), Clinician.objects.count()
        if (hospitals, clinicians) != (options.hospitals, options.clinicians):
            sys.exit(
                f"expected {options.hospitals} hospitals and {options.clinicians} clinicians, "
                f"found {hospitals} and {clinicians}"
            )

        again, again_seconds = timed(run_import, path)
        if set(again.counts.elements()) - {"unchanged", "duplicate"}:
            sys.exit(f"the second import changed something: {again.summary()}")

    print(f"import summary: {report.summary()}")
    print(f"baseline, parse only:        {parse_seconds:6.2f} s")
    print(
        f"import into empty database:  {import_seconds:6.2f} s  "
        f"(goal < {TIME_GOAL:.0f} s: {'met' if import_seconds < TIME_GOAL else 'MISSED'}; "
        f"{import_seconds / parse_seconds:.1f}x the parse)"
    )
    print(f"(of which reading and checking, as a dry run takes: {plan_seconds:.2f} s)")
    print(f"(of which the one write transaction, holding the lock: {write_seconds:.2f} s)")
    print(f"(of which the search index, after the commit, in batches: {indexed[0]:.2f} s)")
    print(f"second import, all unchanged: {again_seconds:5.2f} s")
    print(
        f"peak memory (ru_maxrss):     {memory_peak:6.0f} MB "
        f"(goal < {MEMORY_GOAL_MB} MB: {'met' if memory_peak < MEMORY_GOAL_MB else 'MISSED'}; "
        f"{memory_before:.0f} MB after Django start-up and the parse)"
    )


if __name__ == "__main__":
    main()
