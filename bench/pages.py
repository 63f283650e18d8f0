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

Run from the repository root (what `make bench` does):

    .venv/bin/python bench/pages.py [--seconds 5] [--rounds 2] [--client auto|wrk|python]

The demo content is loaded into its own SQLite file under var/bench/ with the settings in
bench/settings.py (DEBUG off); the developer's db.sqlite3 is left alone. The load comes from
`wrk` when it is on PATH, otherwise from a small Python client running in several processes.
Nothing is downloaded. The exit status is 0 whether or not the goal is met (this is a report) and
non-zero when the server fails or any response is not a 200 of the expected size.
"""

import argparse
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
SETTINGS = "bench.settings"
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


def prepare_database():
    VAR.mkdir(parents=True, exist_ok=True)
    print(f"demo content: migrate and seed_demo into {(VAR / 'db.sqlite3').relative_to(ROOT)}")
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
            if server.poll() is not None:
                raise BenchError(f"gunicorn exited during the run; see {log_path}")
        finally:
            stop_server(server)
    print_report(targets, bare, args.rounds)


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
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("--seconds, --rounds and --connections must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    # A plain `kill` of the benchmark still runs the `finally` that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        measure(args)
    except BenchError as error:
        print(f"bench/pages.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
