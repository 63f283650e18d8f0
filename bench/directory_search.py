"""Response time of the directory search: 15,000 hospitals and 5,000 clinicians on SQLite.

Builds the data the way bench/import_directory.py does (its generator writes the CSV, run_import
loads it: every clinician is approved), in a fresh SQLite file in a temporary folder with DEBUG off
(migrated in a separate process), then signs in as an approved clinician and measures GET
/directory/ end to end through Django's test Client (middleware, session, queries, paginator COUNT,
template rendering) for a set of realistic queries: a surname, a partial surname, a specialty, a
city with diacritics typed without them, a Greek name in lower case, two words, a country filter,
no query, page 3, and a query with no hits.

Each query is warmed up, then timed `--repeat` times (30 by default); the script prints each
query's median and p95 in ms, the overall median (of every timed request), and whether it meets the
goal of under 100 ms median. Measured in the same run for comparison (the baseline):

- GET /directory/?country=AT, a country without hospitals in the generated data: the same view,
  middleware, access check and template, but an indexed lookup that finds nobody, so an empty page;
- a bare `Clinician.objects.select_related(...).get(pk=...)`: the floor of any database read.

Run from the repository root:

    .venv/bin/python bench/directory_search.py [--hospitals 15000] [--clinicians 5000] [--repeat 30]

Add --explain to print SQLite's EXPLAIN QUERY PLAN of each query the view runs on clinicians (the
member's own record, the paginator's COUNT and the page). Nothing is downloaded and the developer's
db.sqlite3 is left alone. The exit status is 0 whether or not the goal is met (this is a report) and
non-zero when a response is not a 200 or shows a result count other than the one computed from the
generated file.
"""

import argparse
import csv
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 100.0
WARMUP = 3
BASELINE = "GET /directory/?country=AT"
RESULT_COUNT = re.compile(r'<p class="result-count" role="status">\s*([\d,]+) clinician')

# (label, query parameters). The expected result count of each is computed from the CSV.
QUERIES = [
    ("surname", {"q": "Nowak"}),
    ("partial surname", {"q": "lefev"}),  # Lefèvre
    ("specialty", {"q": "intensive care"}),  # every generated clinician has it
    ("city without diacritics", {"q": "lodz"}),  # Łódź
    ("Greek name, lower case", {"q": "παπαδοπουλος"}),  # Παπαδόπουλος
    ("two words", {"q": "anna grossmann"}),  # ANNA Großmann
    ("country filter", {"country": "PL"}),
    ("no query", {}),
    ("page 3", {"page": "3"}),
    ("no hits", {"q": "zzyzx"}),
]


class BenchError(Exception):
    """A response was not a 200, or showed the wrong number of results."""


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def expected_counts(path):
    """Result count of every query, by scanning the generated CSV in Python (not the database).

    A clinician matches when every folded word of the query occurs in their folded first and last
    name, specialty, hospital, city or country (name or code), as the directory promises.
    """
    from directory.countries import COUNTRIES, country_code
    from directory.search import fold, search_terms

    names = {code: name for code, name, _zone, _membership in COUNTRIES}
    people = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["Email"]:
                continue  # a hospital's own row
            code = country_code(row["Country"])
            fields = ["First name", "Last name", "Specialty", "Hospital", "City"]
            text = fold(" ".join([*(row[f] for f in fields), names[code], code]))
            people.append((code, text))
    counts = {}
    for label, params in QUERIES:
        terms = search_terms(params.get("q", ""))
        counts[label] = sum(
            1
            for code, text in people
            if params.get("country", code) == code and all(term in text for term in terms)
        )
    return counts


def time_get(client, path, params):
    start = time.perf_counter()
    response = client.get(path, params)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise BenchError(f"GET {path} {params} answered {response.status_code}")
    return elapsed, response


def shown_count(response):
    found = RESULT_COUNT.search(response.content.decode())
    if not found:
        raise BenchError("no result count in the directory page")
    return int(found[1].replace(",", ""))


def measure(client, path, params, repeat, check=None):
    for _ in range(WARMUP):
        _, response = time_get(client, path, params)
        if check:
            check(response)
    return [time_get(client, path, params)[0] for _ in range(repeat)]


def measure_orm(pk, repeat):
    from directory.models import Clinician

    times = []
    for n in range(WARMUP + repeat):
        start = time.perf_counter()
        Clinician.objects.select_related("hospital__country").get(pk=pk)
        if n >= WARMUP:
            times.append((time.perf_counter() - start) * 1000)
    return times


def explain(client, params):
    """SQLite's plan for each query the view runs on clinicians (the paginator's COUNT, the page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get("/directory/", params)
    for query in captured.captured_queries:
        sql = query["sql"]
        if '"directory_clinician"' not in sql.split(" WHERE ")[0]:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "; ".join(row[-1] for row in cursor.fetchall())
        if sql.startswith("SELECT COUNT"):
            kind = "count"
        elif " ORDER BY " in sql:
            kind = "page"
        else:
            kind = "member's own record (access check)"
        print(f"    {kind}: {plan}")


def sign_in_member():
    """A user linked to one approved clinician, and a test Client signed in as them."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from directory.models import Clinician

    member = Clinician.objects.filter(status=Clinician.Status.APPROVED).order_by("pk").first()
    user = get_user_model().objects.create_user("bench-member", member.email)
    member.user = user
    member.save(update_fields=["user"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client, member


def run(options, folder):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DJANGO_DEBUG": "0",  # DEBUG keeps every query in memory and changes the templates' cost
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "localhost",  # the test Client below sends Host: localhost
    }
    environment.pop("CACHE_URL", None)
    environment.pop("REDIS_URL", None)
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
    from bench.import_directory import generate
    from directory.models import Clinician, Hospital
    from directory.services.imports import run_import

    path = folder / "directory.csv"
    generate(path, options.hospitals, options.clinicians)
    started = time.perf_counter()
    report = run_import(path)
    if not (report.ok and report.written):
        raise BenchError(f"the import failed: {report.summary()}")
    counts = (Hospital.objects.count(), Clinician.objects.count())
    if counts != (options.hospitals, options.clinicians):
        raise BenchError(
            f"expected {options.hospitals} hospitals and {options.clinicians} "
            f"clinicians, found {counts[0]} and {counts[1]}"
        )
    print(
        f"data: {counts[0]} hospitals, {counts[1]} clinicians imported in "
        f"{time.perf_counter() - started:.1f} s (SQLite, DEBUG off)"
    )
    expected = expected_counts(path)
    client, member = sign_in_member()

    results = {}
    for label, params in QUERIES:

        def check(response, label=label, params=params):
            shown = shown_count(response)
            if shown != expected[label]:
                raise BenchError(
                    f"{label} {params}: the page shows {shown} results, expected {expected[label]}"
                )
            if "page" in params and f"Page {params['page']} of" not in response.content.decode():
                raise BenchError(f"{label}: not on page {params['page']}")

        results[label] = measure(client, "/directory/", params, options.repeat, check)
        if options.explain:
            print(f"  {label} {params}:")
            explain(client, params)

    def empty(response):
        if shown_count(response) != 0:
            raise BenchError(f"{BASELINE} should find nobody")

    baseline = measure(client, "/directory/", {"country": "AT"}, options.repeat, empty)
    orm = measure_orm(member.pk, options.repeat)
    report_figures(options, results, expected, baseline, orm)


def report_figures(options, results, expected, baseline, orm):
    print(f"GET /directory/ as an approved clinician, {options.repeat} timed requests per query")
    print(f"after {WARMUP} warm-up requests (test Client: middleware, queries, rendering)\n")
    print(f"{'query':<26}{'parameters':<32}{'results':>8}{'median':>10}{'p95':>10}")
    for label, params in QUERIES:
        times = results[label]
        shown = "&".join(f"{k}={v}" for k, v in params.items()) or "(none)"
        print(
            f"{label:<26}{shown:<32}{expected[label]:>8}"
            f"{statistics.median(times):>8.1f}ms{percentile(times, 0.95):>8.1f}ms"
        )
    every = [t for times in results.values() for t in times]
    overall = statistics.median(every)
    slowest = max(results, key=lambda label: statistics.median(results[label]))
    baseline_median, orm_median = statistics.median(baseline), statistics.median(orm)
    print()
    print(
        f"baseline: {BASELINE}, empty page: median {baseline_median:.1f} ms, "
        f"p95 {percentile(baseline, 0.95):.1f} ms"
    )
    print(f"floor: bare Clinician fetch by primary key: median {orm_median:.2f} ms")
    print()
    print(
        f"overall median: {overall:.1f} ms ({overall / baseline_median:.1f}x the baseline); slowest "
        f"query: {slowest} ({statistics.median(results[slowest]):.1f} ms median, "
        f"p95 {percentile(results[slowest], 0.95):.1f} ms)"
    )
    verdict = "PASS" if overall < GOAL_MS else "BELOW GOAL"
    print(f"goal: median < {GOAL_MS:.0f} ms: {verdict}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hospitals", type=int, default=15_000)
    parser.add_argument("--clinicians", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per query (30)")
    parser.add_argument("--explain", action="store_true", help="print SQLite's query plans")
    options = parser.parse_args(argv)
    if options.repeat < 1 or options.clinicians < 100:
        parser.error("--repeat must be positive and --clinicians at least 100 (page 3 is measured)")
    with tempfile.TemporaryDirectory(prefix="cmss-bench-search-") as folder:
        try:
            run(options, Path(folder))
        except BenchError as error:
            print(f"bench/directory_search.py: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
