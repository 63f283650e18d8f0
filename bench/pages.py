"""Throughput of public pages against a bare Django view, both served by gunicorn in the same run.

Measures requests per second of `/`, `/information-package/`, `/hospitals/`, the webinar
catalogue `/webinars/` (with WEBINARS webinars) and a webinar page as an anonymous visitor sees
them (answered by the page cache, home/pagecache.py), of `/enrol/` (a form with a
CSRF token: never cached) and of a bare Django view that returns a body of the same size as the
home page through the same middleware stack, gunicorn and client. Before it measures, it loads a
generated directory of the real list's size (HOSPITALS hospitals across the network's countries),
as the helpdesk's import would, and tops the demo's webinar catalogue up to WEBINARS webinars.
Prints the figures, each page's ratio to the bare view against its
goal (0.50 for cached pages, 0.30 for /enrol/) and the size of /enrol/ (goal: under 60 KB). For
information it also measures `/` and `/webinars/` with the page cache bypassed (a session
cookie), so readers see what the cache buys.

Then the registration burst of issue 10, point 9 (point 10 asks for its rate): BURST approved
clinicians, each with a signed-in session made for the run, press "Register me" (the one-click
POST to /webinars/<slug>/register/) at the same moment, one thread and connection each, for a
webinar of PLACES places. The bench checks exactly PLACES got a place, the others wait, every
address once, and every answer was a 200; otherwise it prints REGISTRATION BURST FAILED and exits
non-zero. It prints registrations per second (BURST / wall time from the release to the last
answer) with median and 95th-percentile latency, and the same figures for two bursts of BURST
concurrent GETs measured just before in the same run: the bare view (the baseline the ratio is
against) and the register page as those clinicians see it. On SQLite one writer works at a time
(IMMEDIATE transactions, as the site's settings have them), so that figure is SQLite's; with
--database-url the whole bench runs on PostgreSQL, whose row lock lets the workers overlap.

Run from the repository root (what `make bench` does):

    .venv/bin/python bench/pages.py [--seconds 5] [--rounds 2] [--client auto|wrk|python]
        [--database-url postgres://postgres@127.0.0.1:5432/cmss_benchreg]

The demo content is loaded into its own SQLite file under var/bench/ with the settings in
bench/settings.py (DEBUG off); the developer's db.sqlite3 is left alone. --database-url names a
PostgreSQL database instead, which the bench creates (dropping it first if it exists), fills
the same way and drops at the end (bench/settings_postgres.py). The load comes from
`wrk` when it is on PATH, otherwise from a small Python client running in several processes.
Nothing is downloaded. The exit status is 0 whether or not the goal is met (this is a report) and
non-zero when the server fails or any response is not a 200 of the expected size.
"""

import argparse
import contextlib
import http.client
import multiprocessing
import os
import queue
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
SETTINGS = "bench.settings"
POSTGRES_SETTINGS = "bench.settings_postgres"  # with --database-url
DATABASE_URL_VARIABLE = "CMSS_BENCH_DATABASE_URL"  # read by bench/settings_postgres.py
HOST = "127.0.0.1"
WORKERS = 2
WEBINAR_PAGE = "/webinars/long-covid-in-intensive-care-survivors/"  # a demo webinar
PAGES = ["/", "/information-package/", "/hospitals/", "/webinars/", WEBINAR_PAGE]
ENROL = "/enrol/"
BARE = "/__bench__/bare/{size}/"
NO_CACHE_COOKIE = "sessionid=x"  # any session cookie makes home/pagecache.py step aside
GOAL = 0.50
ENROL_GOAL = 0.30
ENROL_MAX_BYTES = 60 * 1024
HOSPITALS = 15_600  # distinct hospitals in the real European list
WEBINARS = 1_000  # the catalogue size that issue 10 (point 10) measures
BURST = 200  # issue 10, point 9: 200 clinicians register at once ...
PLACES = 100  # ... for 100 places
BURST_SLUG = "bench-registration-burst"
BURST_PREFIX = "benchburst"

# Run inside `manage.py shell`: tops the directory up to HOSPITALS generated hospitals (names and
# cities with accents, spread over every country), in bulk and with what Hospital.save() fills in.
LOAD_HOSPITALS = """
from directory.models import Country, Hospital, match_text
from directory.search import hospital_search_text
from home.pagecache import invalidate_public_pages
wanted = {wanted}
have = Hospital.objects.count()
countries = list(Country.objects.order_by("code"))
made = []
for n in range(have, wanted):
    country = countries[n % len(countries)]
    h = Hospital(
        name=f"Hôpital universitaire Saint-Étienne {{n:05}}",
        city=f"Città {{n % 997:03}}",
        country=country,
        taking_part=n % 25 != 0,
    )
    h.match_name, h.match_city = match_text(h.name), match_text(h.city)
    h.search_text = hospital_search_text(h, country)
    made.append(h)
Hospital.objects.bulk_create(made, batch_size=2000)
invalidate_public_pages()
print(Hospital.objects.count())
"""

# Run inside `manage.py shell`: tops the demo's catalogue up to WEBINARS published webinars, past
# and upcoming, each with a topic and two speakers (pages made as Wagtail makes them, without
# revisions, which the pages do not read).
LOAD_WEBINARS = """
import datetime
from django.utils import timezone
from events.models import Topic, WebinarIndexPage, WebinarPage, WebinarSpeaker
from home.pagecache import invalidate_public_pages
wanted = {wanted}
catalogue = WebinarIndexPage.objects.get()
topics = list(Topic.objects.all())
have = WebinarPage.objects.child_of(catalogue).count()
now = timezone.now().replace(minute=0, second=0, microsecond=0)
for n in range(have, wanted):
    start = now + datetime.timedelta(days=(n % 400) - 200, hours=n % 7)
    page = WebinarPage(
        title=f"Webinar {{n:04}}: séance clinique", slug=f"bench-webinar-{{n:04}}",
        summary="A generated webinar for the benchmark.", start=start,
        end=start + datetime.timedelta(hours=1), language=("en", "fr", "de")[n % 3],
        time_zone="Europe/Brussels",
    )
    page.speakers.add(WebinarSpeaker(sort_order=0, name=f"Dr Speaker {{n}}", affiliation="Hospital"))
    page.speakers.add(WebinarSpeaker(sort_order=1, name="Dr Second Speaker"))
    page.topics = [topics[n % len(topics)]] if topics else []
    catalogue.add_child(instance=page)
invalidate_public_pages()
print(WebinarPage.objects.child_of(catalogue).count())
"""

# Run inside `manage.py shell`: the burst's webinar (PLACES places, in three days, open) with its
# registrations removed, and BURST approved clinicians, each with a new signed-in session; prints
# the session keys, one a line.
PREPARE_BURST = """
import datetime
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from directory.models import Clinician
from events.models import Registration, WebinarIndexPage, WebinarPage, WebinarSpeaker
count, places, slug, prefix = {count}, {places}, "{slug}", "{prefix}"
start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
webinar = WebinarPage.objects.filter(slug=slug).first()
if webinar is None:
    webinar = WebinarPage(
        title="Registration burst (benchmark)", slug=slug, summary="The benchmark's burst.",
        start=start, end=start + datetime.timedelta(hours=1), time_zone="Europe/Brussels",
        capacity=places,
    )
    webinar.speakers.add(WebinarSpeaker(sort_order=0, name="Dr Burst"))
    WebinarIndexPage.objects.get().add_child(instance=webinar)
WebinarPage.objects.filter(pk=webinar.pk).update(
    start=start, end=start + datetime.timedelta(hours=1), capacity=places,
    registration_opens=None, registration_closes=None, state=WebinarPage.State.SCHEDULED,
)
Registration.objects.filter(webinar=webinar).delete()
User = get_user_model()
names = [f"{{prefix}}{{n:03}}" for n in range(count)]
have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
User.objects.bulk_create(
    [User(username=name, email=f"{{name}}@example.eu") for name in names if name not in have]
)
users = list(User.objects.filter(username__in=names).order_by("username"))
with_record = set(Clinician.objects.filter(user__in=users).values_list("user_id", flat=True))
Clinician.objects.bulk_create(
    [
        Clinician(
            first_name=f"Clin{{n}}", last_name="Burst", email=user.email,
            status=Clinician.Status.APPROVED, user=user,
        )
        for n, user in enumerate(users) if user.pk not in with_record
    ]
)
Store = import_module(settings.SESSION_ENGINE).SessionStore
for user in users:
    session = Store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print("SESSION", session.session_key)
"""

# Run inside `manage.py shell` after the burst: how the registrations of the burst's webinar came
# out (confirmed, waiting, others, distinct emails).
COUNT_BURST = """
from events.models import Registration
found = Registration.objects.filter(webinar__slug="{slug}")
statuses = list(found.values_list("status", flat=True))
S = Registration.Status
print("BURST", statuses.count(S.CONFIRMED), statuses.count(S.WAITING),
      len(statuses) - statuses.count(S.CONFIRMED) - statuses.count(S.WAITING),
      found.values("email").distinct().count())
"""

# wrk calls response() for every answer; done() adds up what the threads counted.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  expected = tonumber(args[1])
  bad = 0
  bad_status = 0
  if args[2] then wrk.headers["Cookie"] = args[2] end
end
function response(status, headers, body)
  if status ~= 200 then bad_status = bad_status + 1
  elseif #body ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b, s = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); s = s + t:get("bad_status") end
  io.write(string.format("BENCH bad_size=%d bad_status=%d\\n", b, s))
end
"""


class BenchError(Exception):
    """The server failed or answered something other than the expected page."""


class Target:
    """One URL to measure, with the body size every answer must have."""

    def __init__(
        self, label, path, cookie=None, informational=False, expect_cache_hit=True, goal=GOAL
    ):
        self.label = label
        self.path = path
        self.cookie = cookie
        self.informational = informational
        self.expect_cache_hit = expect_cache_hit
        self.goal = goal
        self.expected_size = None
        self.results = []  # requests/s, one per round

    @property
    def rate(self):
        return sum(self.results) / len(self.results)


# -- set-up ---------------------------------------------------------------------------------------


def django_env():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS, PYTHONPATH=str(ROOT))
    env.pop("DJANGO_DEBUG", None)
    return env


def manage(*args):
    """Run a management command with the benchmark settings; returns what it printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=django_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise BenchError(f"manage.py {' '.join(args[:1])} failed (exit {result.returncode})")
    return result.stdout


def database_name():
    url = os.environ.get(DATABASE_URL_VARIABLE)
    if url:
        return f"PostgreSQL database {url.rsplit('/', 1)[-1]}"
    return f"SQLite file {(VAR / 'db.sqlite3').relative_to(ROOT)}"


def prepare_database():
    VAR.mkdir(parents=True, exist_ok=True)
    print(f"demo content: migrate and seed_demo into the {database_name()}")
    manage("migrate", "--noinput")
    manage("seed_demo")
    count = manage("shell", "-c", LOAD_HOSPITALS.format(wanted=HOSPITALS)).split()[-1]
    print(f"directory: {count} hospitals (generated up to {HOSPITALS}, as the real list)")
    count = manage("shell", "-c", LOAD_WEBINARS.format(wanted=WEBINARS)).split()[-1]
    print(f"webinar catalogue: {count} webinars (generated up to {WEBINARS})")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port, log):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--no-control-socket",
        "--log-level",
        "warning",
        "cms.wsgi:application",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=django_env(), stdout=log, stderr=subprocess.STDOUT
    )


def stop_server(server):
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fetch(port, path, cookie=None, timeout=10):
    """One GET; returns (status, headers, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_until_up(server, port, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.returncode}; see {log_path}")
        try:
            status, _, _ = fetch(port, BARE.format(size=1), timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        if status != 200:
            raise BenchError(f"the bare view answered {status} at start-up; see {log_path}")
        return
    raise BenchError(f"gunicorn did not answer within {timeout} s; see {log_path}")


def check_target(port, target):
    """Fetch a URL (a page until the page cache answers it) and note its body size."""
    for _ in range(4 * WORKERS):  # each worker has its own local-memory cache
        status, headers, body = fetch(port, target.path, target.cookie)
        if status != 200:
            raise BenchError(f"GET {target.path} answered {status}")
        cache_state = headers.get("X-Page-Cache")
        if not target.expect_cache_hit or cache_state == "hit":
            break
    else:
        print(
            f"warning: the page cache does not answer {target.path} (X-Page-Cache: {cache_state})"
        )
    target.expected_size = len(body)


# -- load: wrk ------------------------------------------------------------------------------------


def run_wrk(port, target, seconds, connections, script):
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        script,
        f"http://{HOST}:{port}{target.path}",
        "--",
        str(target.expected_size),
    ]
    if target.cookie:
        command.append(target.cookie)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"BENCH bad_size=(\d+) bad_status=(\d+)", output)
    if result.returncode != 0 or not rate or not bad:
        raise BenchError(f"wrk failed on {target.path}:\n{output}")
    errors = re.search(r"Socket errors: .*", output)
    if errors:
        raise BenchError(f"GET {target.path}: wrk reports {errors[0]}")
    if int(bad[1]) or int(bad[2]):
        raise BenchError(
            f"GET {target.path}: {bad[2]} answers were not 200 and {bad[1]} had a body "
            f"other than {target.expected_size} bytes"
        )
    return float(rate[1])


# -- load: Python ---------------------------------------------------------------------------------


def dechunk(body):
    out = bytearray()
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[:size]
        body = body[size + 2 :]


def answer_is_good(raw, expected_size):
    head, _, body = raw.partition(b"\r\n\r\n")
    if head[9:12] != b"200":
        return False
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return len(body) == expected_size


def python_client(port, request, expected_size, start, seconds, connections, results):
    """One process: `connections` sockets kept busy, one request per connection, until the end."""
    selector = selectors.DefaultSelector()
    end = start + seconds
    done = bad = 0

    def open_connection():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((HOST, port))
        selector.register(sock, selectors.EVENT_WRITE, [request, bytearray()])

    time.sleep(max(0.0, start - time.time()))
    for _ in range(connections):
        open_connection()
    while True:
        now = time.time()
        if now >= end:
            break
        for key, _ in selector.select(timeout=end - now):
            sock, (to_send, received) = key.fileobj, key.data
            try:
                if to_send:
                    sent = sock.send(to_send)
                    key.data[0] = to_send[sent:]
                    if not key.data[0]:
                        selector.modify(sock, selectors.EVENT_READ, key.data)
                    continue
                chunk = sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk, received = b"", None
            if chunk:
                received += chunk
                continue
            selector.unregister(sock)
            sock.close()
            if time.time() <= end:
                if received is not None and answer_is_good(received, expected_size):
                    done += 1
                else:
                    bad += 1
                open_connection()
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    results.put((done, bad))


def run_python(port, target, seconds, connections, processes):
    lines = [f"GET {target.path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if target.cookie:
        lines.append(f"Cookie: {target.cookie}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    results = multiprocessing.Queue()
    start = time.time() + 0.3
    per_process = [
        connections // processes + (i < connections % processes) for i in range(processes)
    ]
    workers = [
        multiprocessing.Process(
            target=python_client,
            args=(port, request, target.expected_size, start, seconds, n, results),
        )
        for n in per_process
        if n
    ]
    for worker in workers:
        worker.start()
    try:
        counts = [results.get(timeout=seconds + 30) for _ in workers]
    except queue.Empty:
        raise BenchError(f"the Python client failed while measuring {target.path}") from None
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    done, bad = (sum(column) for column in zip(*counts, strict=True))
    if bad:
        raise BenchError(
            f"GET {target.path}: {bad} answers were not a 200 with a {target.expected_size}-byte body"
        )
    return done / seconds


# -- the registration burst (issue 10, points 9 and 10) -------------------------------------------


class Burst:
    """One burst: every request sent at once from its own thread; statuses and latencies."""

    def __init__(self, label, requests):
        self.label = label
        self.requests = requests  # raw HTTP requests (bytes), one per thread
        self.statuses = []
        self.latencies = []
        self.seconds = None

    @property
    def rate(self):
        return len(self.requests) / self.seconds

    def latency(self, fraction):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def http_request(method, path, port, cookie=None, extra=()):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    lines.extend(extra)
    if method == "POST":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def fire(port, burst):
    """Send every request of `burst` at the same moment (a barrier), each on its own connection;
    the burst's time runs from the release to the last answer read."""
    barrier = threading.Barrier(len(burst.requests) + 1)
    answers = [None] * len(burst.requests)

    def send(index, request):
        barrier.wait()
        started = time.perf_counter()
        try:
            with socket.create_connection((HOST, port), timeout=120) as sock:
                sock.sendall(request)
                received = bytearray()
                while chunk := sock.recv(65536):
                    received += chunk
            status = int(received[9:12]) if received[:5] == b"HTTP/" else 0
        except OSError:
            status = 0
        answers[index] = (status, time.perf_counter() - started, time.perf_counter())

    threads = [
        threading.Thread(target=send, args=(index, request), daemon=True)
        for index, request in enumerate(burst.requests)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.perf_counter()
    for thread in threads:
        thread.join(timeout=180)
    if any(answer is None for answer in answers):
        raise BenchError(f"{burst.label}: some requests never finished")
    burst.statuses = [status for status, _, _ in answers]
    burst.latencies = [latency for _, latency, _ in answers]
    burst.seconds = max(finished for _, _, finished in answers) - released


def run_registration_burst(port, bare_size):
    """Issue 10, point 9's burst on the bench's server: BURST signed-in approved clinicians
    press "Register me" at once for PLACES places. Returns the bursts measured (baselines first);
    raises BenchError unless exactly PLACES got a place, the others wait, and no answer failed."""
    output = manage(
        "shell",
        "-c",
        PREPARE_BURST.format(count=BURST, places=PLACES, slug=BURST_SLUG, prefix=BURST_PREFIX),
    )
    keys = [line.split()[1] for line in output.splitlines() if line.startswith("SESSION ")]
    if len(keys) != BURST:
        raise BenchError(f"the burst's preparation made {len(keys)} sessions, not {BURST}")
    register = f"/webinars/{BURST_SLUG}/register/"
    csrf = "b" * 32  # an unmasked CSRF secret, sent as the cookie and the header
    cookies = [f"sessionid={key}; csrftoken={csrf}" for key in keys]
    bare = Burst(
        f"{BURST} GETs of the bare view",
        [http_request("GET", BARE.format(size=bare_size), port)] * BURST,
    )
    page = Burst(
        f"{BURST} GETs of the register page, signed in",
        [http_request("GET", register, port, cookie) for cookie in cookies],
    )
    posts = Burst(
        f"{BURST} one-click registrations (POSTs)",
        [
            http_request("POST", register, port, cookie, [f"X-CSRFToken: {csrf}"])
            for cookie in cookies
        ],
    )
    for burst in (bare, page, posts):
        fire(port, burst)
        print(f"  {burst.label:<52}{burst.rate:>8.0f} req/s in {burst.seconds:.2f} s")
    counted = manage("shell", "-c", COUNT_BURST.format(slug=BURST_SLUG)).split()
    confirmed, waiting, other, emails = (int(n) for n in counted[counted.index("BURST") + 1 :])
    failures = []
    for burst in (bare, page, posts):
        wrong = sorted({code for code in burst.statuses if code != 200})
        if wrong:
            failures.append(
                f"{burst.label}: {sum(code != 200 for code in burst.statuses)} answers were not "
                f"200 (statuses {wrong}; 0 = no answer)"
            )
    if (confirmed, waiting, other, emails) != (PLACES, BURST - PLACES, 0, BURST):
        failures.append(
            f"the burst left {confirmed} registered, {waiting} waiting, {other} otherwise and "
            f"{emails} distinct addresses (wanted {PLACES}, {BURST - PLACES}, 0, {BURST})"
        )
    return [bare, page, posts], (confirmed, waiting), failures


def print_burst_report(bursts, outcome, failures):
    bare, page, posts = bursts
    print()
    print(f"registration burst: {BURST} clinicians at once for {PLACES} places ({database_name()})")
    print(f"{'burst':<52}{'req/s':>8}{'median':>9}{'p95':>9}{'vs bare':>9}")
    for burst in bursts:
        ratio = "" if burst is bare else f"{burst.rate / bare.rate:>9.2f}"
        print(
            f"{burst.label:<52}{burst.rate:>8.0f}{burst.latency(0.5) * 1000:>7.0f}ms"
            f"{burst.latency(0.95) * 1000:>7.0f}ms{ratio}"
        )
    confirmed, waiting = outcome
    print(
        f"registrations per second: {posts.rate:.0f} ({BURST} in {posts.seconds:.2f} s); "
        f"{confirmed} registered, {waiting} waiting"
    )
    if failures:
        print()
        print("REGISTRATION BURST FAILED:")
        for failure in failures:
            print(f"  {failure}")


# -- report ---------------------------------------------------------------------------------------


def gunicorn_version():
    from importlib.metadata import version

    return version("gunicorn")


def print_report(targets, bare, rounds):
    print()
    round_heads = "".join(f"{f'round {n}':>10}" for n in range(1, rounds + 1))
    print(f"{'URL':<36}{round_heads}{'req/s':>10}{'vs bare':>10}")
    for target in targets:
        figures = "".join(f"{rate:>10.0f}" for rate in target.results)
        ratio = "" if target is bare else f"{target.rate / bare.rate:>10.2f}"
        print(f"{target.label:<36}{figures}{target.rate:>10.0f}{ratio}")
    print()
    print("goals: throughput against the bare view; size of /enrol/")
    for target in targets:
        if target is bare or target.informational:
            continue
        ratio = target.rate / bare.rate
        verdict = "PASS" if ratio >= target.goal else "BELOW GOAL"
        print(f"  {target.label:<34}{ratio:>6.2f}  >= {target.goal:.2f}  {verdict}")
        if target.path == ENROL:
            size = target.expected_size
            verdict = "PASS" if size < ENROL_MAX_BYTES else "ABOVE GOAL"
            print(
                f"  {'size of ' + ENROL:<34}{size / 1024:>6.1f}  <  {ENROL_MAX_BYTES // 1024} KB"
                f"  {verdict}"
            )


def make_targets(port):
    """The URLs to measure, each checked once; the bare view's size is the home page's."""
    home = Target("/", "/")
    check_target(port, home)
    bare = Target(
        f"bare view ({home.expected_size} bytes)",
        BARE.format(size=home.expected_size),
        expect_cache_hit=False,
    )
    pages = [
        Target("a webinar page" if path == WEBINAR_PAGE else path, path)
        for path in PAGES
        if path != "/"
    ]
    pages.append(Target(ENROL, ENROL, expect_cache_hit=False, goal=ENROL_GOAL))
    uncached = Target(
        "/ without page cache (information)",
        "/",
        cookie=NO_CACHE_COOKIE,
        informational=True,
        expect_cache_hit=False,
    )
    uncached_catalogue = Target(
        f"/webinars/ without page cache ({WEBINARS})",
        "/webinars/",
        cookie=NO_CACHE_COOKIE,
        informational=True,
        expect_cache_hit=False,
    )
    informational = [uncached, uncached_catalogue]
    for target in [bare, *pages, *informational]:
        check_target(port, target)
    return bare, [bare, home, *pages, *informational]


def make_load(args, port, tmp):
    """A function measuring one URL for some seconds, and a description of the client."""
    if args.client == "wrk":
        script = Path(tmp) / "check.lua"
        script.write_text(WRK_SCRIPT)

        def load(target, seconds):
            return run_wrk(port, target, seconds, args.connections, str(script))

        return load, f"wrk, 1 thread, {args.connections} connections"

    def load(target, seconds):
        return run_python(port, target, seconds, args.connections, args.processes)

    return load, f"Python, {args.processes} processes, {args.connections} connections"


def run_rounds(args, targets, load):
    """Warm every URL up, then measure each once per round, reversing the order every other round."""
    for target in targets if args.warmup else []:
        load(target, args.warmup)
    for round_number in range(1, args.rounds + 1):
        order = targets if round_number % 2 else targets[::-1]
        for target in order:
            target.results.append(load(target, args.seconds))
            print(f"  round {round_number}: {target.label:<36}{target.results[-1]:>8.0f} req/s")


def measure(args):
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    if args.client == "wrk" and not shutil.which("wrk"):
        raise BenchError("--client wrk: wrk is not on PATH")

    prepare_database()
    port = free_port()
    log_path = VAR / "gunicorn.log"
    with open(log_path, "w") as log, tempfile.TemporaryDirectory() as tmp:
        server = start_server(port, log)
        try:
            wait_until_up(server, port, log_path)
            bare, targets = make_targets(port)
            load, client = make_load(args, port, tmp)
            cache_backend = settings_value("CACHES")["default"]["BACKEND"].rsplit(".", 1)[-1]
            print(f"gunicorn {gunicorn_version()}, {WORKERS} sync workers; client: {client}")
            print(
                f"{args.rounds} rounds x {args.seconds} s per URL after {args.warmup} s of warm-up; "
                f"Django cache: {cache_backend}"
            )
            run_rounds(args, targets, load)
            print(f"registration burst ({BURST} at once for {PLACES} places):")
            bursts, outcome, failures = run_registration_burst(port, bare_size(bare))
            if server.poll() is not None:
                raise BenchError(f"gunicorn exited during the run; see {log_path}")
        finally:
            stop_server(server)
    print_report(targets, bare, args.rounds)
    print_burst_report(bursts, outcome, failures)
    if failures:
        raise BenchError("the registration burst failed (see above)")


def bare_size(bare):
    return int(bare.path.rstrip("/").rsplit("/", 1)[-1])


@contextlib.contextmanager
def postgres_database(url):
    """The PostgreSQL database `url` names, created fresh for the run and dropped after it; the
    server and every management command use it (bench/settings_postgres.py)."""
    global SETTINGS
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError("--database-url names no database")
    maintenance = urlunsplit(parts._replace(path="/postgres"))

    def run(statement):
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    try:
        run(drop)
        run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise BenchError(f"cannot create the database {name}: {error}") from None
    os.environ[DATABASE_URL_VARIABLE] = url
    SETTINGS = POSTGRES_SETTINGS
    try:
        yield
    finally:
        run(drop)


def settings_value(name):
    """A value of the benchmark settings, read without setting Django up."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from django.conf import settings

    return getattr(settings, name)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per URL and round (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all URLs (default 2)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds per URL first (default 1)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (8)")
    parser.add_argument("--processes", type=int, default=2, help="Python client processes (2)")
    parser.add_argument(
        "--database-url",
        help="postgres://user@host:port/name: run on this PostgreSQL database, created fresh "
        "(dropped first if it exists) and dropped at the end, instead of the SQLite file",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("--seconds, --rounds and --connections must be positive")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL")
    return args


def main(argv=None):
    args = parse_args(argv)
    # A plain `kill` of the benchmark still runs the `finally` that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if args.database_url:
            with postgres_database(args.database_url):
                measure(args)
        else:
            measure(args)
    except BenchError as error:
        print(f"bench/pages.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
