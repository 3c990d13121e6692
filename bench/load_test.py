"""Load test: many users at once on every public endpoint of the app, and its memory.

Usage: python -m bench.load_test [--users 16] [--rounds 3] [--round-seconds 20]
                                 [--url http://127.0.0.1:7860/] [--json FILE]

Starts the app with the shipped checkpoints in a subprocess on a free loopback
port, or uses a running one given by ``--url`` (a loopback address only). Then
it connects ``--users`` gradio_client users at once, each with a session of its
own. They send small requests as students send them from the tabs: varied
texts and photos at the tabs' default settings, with short generation lengths.

1. Loading: one user sends a request to each endpoint and each text model,
   which loads every model.
2. Warm-up: the first ``--trainers`` users train a model on their own text,
   once, for the minimum time. Then every user sends one request to each
   endpoint, all users at once, and to their own model if they trained one.
3. Rounds: for ``--rounds`` rounds of ``--round-seconds``, every user sends
   one request at a time, to each endpoint in turn.

It prints, per endpoint, the requests served in the warm-up and the rounds
with their 50th and 95th percentile latency, the failures (busy: the queue was
full, which is expected under overload; unexpected: anything else, a wrong
result included) and the latency of the first request, which loads the model.
It also prints the server's resident memory before the first request, after
loading, after the warm-up and after each round. It exits with status 1 on any
unexpected failure, or when the memory grows by more than ``--max-growth-mb``
across the rounds: from the end of the first round, when every user has sent
the whole mix of requests at full concurrency, to the end of the last one.
"""

import argparse
import ipaddress
import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from gradio.media import get_image
from gradio_client import Client, handle_file
from gradio_client.utils import QueueError
from tqdm import tqdm

from playground.catalog import SHIPPED_MODELS, TEXT_GENERATION
from playground.own_text import MIN_TRAINING_SECONDS
from playground.textgen import DEFAULT_TEMPERATURE, DEFAULT_TOP_K, RANDOM_SEED

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Short generation lengths, as a student tries a setting and reads the result.
TEXT_LENGTH = 200
REVIEW_LENGTH = 120
OWN_MODEL_LENGTH = 150
DEFAULT_UNIT_VALUE = 1.0
DEFAULT_BEAM_SIZE = 3
# The own-text upload: this project's README, a prose and code text of about 40 kB.
TRAINING_TEXT = REPO_ROOT / "README.md"
# A request that takes longer than this counts as an unexpected failure.
REQUEST_TIMEOUT_SECONDS = 300
APP_START_TIMEOUT_SECONDS = 300
# gradio_client's message for an HTTP 503 from a full queue (gradio_client 2.7).
QUEUE_FULL_MESSAGE = "Queue is full"
EXAMPLE_MESSAGES_PER_ENDPOINT = 3
# The app returns freed heap memory to the system every few seconds (playground/memory.py).
# With that, 16 users on the 2-core development machine changed the server's memory by
# -71 MB from the first to the last of six rounds of 10 s, and by +17 MB over three rounds
# of 20 s. Without it, the six rounds grew it by 259 MB.
MAX_GROWTH_MB = 100
# Outcome.round of the requests that load the models, and of the warm-up; rounds count from 1.
LOADING_ROUND, WARM_UP_ROUND = -1, 0

TEXT_PRIMES = [
    (spec.name, prime)
    for spec in SHIPPED_MODELS
    if spec.task == TEXT_GENERATION
    for prime in spec.examples
]
TEXT_MODELS = sorted({name for name, _ in TEXT_PRIMES})
HANDWRITING_TEXTS = [
    "Hello, world!",
    "My name is Sam.",
    "Homework is due on Monday.",
    "The quick brown fox",
    "Recurrent networks write too",
    "See you at 9:30 in room B-204",
    "I love this class",
    "Dear Professor,\nthank you.",
]
PHOTOS = ["cheetah.jpg", "lion.jpg", "tower.jpg", "bus.png", "groot.jpeg"]
REVIEWS = [
    "A warm, funny film with a great cast. I would watch it again.",
    "Cold food, rude staff and a long wait. Never again.",
    "The book starts slowly but the ending is wonderful.",
    "It broke after two days and support never answered.",
    "Decent coffee, fair price, nothing special.",
    "The novel is a masterpiece; the film is a dull mess.",
    "Best pizza in town, and the service was quick and friendly.",
    "I wanted to like it, but the plot made no sense at all.",
]
REVIEW_OPENINGS = ["", "The film", "This phone", "I ordered the", "What a", "The pasta was"]
OWN_MODEL_PRIMES = ["The ", "A ", "In ", "We "]

TRAIN_ENDPOINT = "/train_own_model"
SAMPLE_OWN_ENDPOINT = "/sample_own_model"


@dataclass(frozen=True)
class Request:
    """The arguments of one API call, and a check of its result that returns a fault or None."""

    args: tuple
    check: Callable[[Any], str | None]


def expect_text(length: int, index: int | None = None) -> Callable[[Any], str | None]:
    """Return a check that the result (or its item ``index``) is a text of ``length`` characters."""

    def check(result: Any) -> str | None:
        text = result if index is None else result[index]
        if not isinstance(text, str) or len(text) != length:
            return f"expected {length} characters of text, got {text!r:.80}"
        return None

    return check


def check_handwriting(result: Any) -> str | None:
    svg = result[0]
    if not isinstance(svg, str) or not svg.startswith("<svg"):
        return f"expected an SVG document, got {svg!r:.80}"
    return None


def check_caption(result: Any) -> str | None:
    caption = result[0]
    if not isinstance(caption, str) or not caption.strip():
        return f"expected a caption, got {caption!r:.80}"
    return None


def check_score(result: Any) -> str | None:
    label = result[0]
    if not isinstance(label, dict) or label.get("label") not in ("positive", "negative"):
        return f"expected a positive or negative label, got {label!r:.80}"
    return None


def check_training(result: Any) -> str | None:
    status = result[0]
    if not isinstance(status, str) or not status.startswith("Trained for"):
        return f"expected a finished training run, got {status!r:.120}"
    return None


def generate_text_request(rng: random.Random, model_name: str | None = None) -> Request:
    """Return a request with a random example prime, of ``model_name`` when given."""
    choices = [pair for pair in TEXT_PRIMES if model_name in (None, pair[0])]
    model_name, prime = rng.choice(choices)
    args = (prime, model_name, DEFAULT_TEMPERATURE, DEFAULT_TOP_K, TEXT_LENGTH, RANDOM_SEED)
    return Request(args, expect_text(TEXT_LENGTH))


def write_handwriting_request(rng: random.Random) -> Request:
    return Request((rng.choice(HANDWRITING_TEXTS),), check_handwriting)


def caption_image_request(rng: random.Random) -> Request:
    photo = handle_file(get_image(rng.choice(PHOTOS)))
    return Request((photo, DEFAULT_BEAM_SIZE), check_caption)


def score_sentiment_request(rng: random.Random) -> Request:
    return Request((rng.choice(REVIEWS),), check_score)


def write_review_request(rng: random.Random) -> Request:
    args = (
        rng.choice(REVIEW_OPENINGS),
        DEFAULT_UNIT_VALUE,
        DEFAULT_TEMPERATURE,
        REVIEW_LENGTH,
        RANDOM_SEED,
    )
    return Request(args, expect_text(REVIEW_LENGTH))


def sample_own_model_request(rng: random.Random) -> Request:
    args = (rng.choice(OWN_MODEL_PRIMES), DEFAULT_TEMPERATURE, OWN_MODEL_LENGTH)
    return Request(args, expect_text(OWN_MODEL_LENGTH, index=0))


def train_own_model_request(rng: random.Random) -> Request:
    return Request((handle_file(str(TRAINING_TEXT)), MIN_TRAINING_SECONDS), check_training)


# Every user sends to these in turn; to /sample_own_model only once they have trained.
WORKLOADS: dict[str, Callable[[random.Random], Request]] = {
    "/generate_text": generate_text_request,
    "/write_handwriting": write_handwriting_request,
    "/caption_image": caption_image_request,
    "/score_sentiment": score_sentiment_request,
    "/write_review": write_review_request,
    SAMPLE_OWN_ENDPOINT: sample_own_model_request,
}
KNOWN_ENDPOINTS = {*WORKLOADS, TRAIN_ENDPOINT}


@dataclass
class Outcome:
    """One request's endpoint, round (LOADING_ROUND, WARM_UP_ROUND or 1, 2, ...), result kind
    and latency."""

    endpoint: str
    round: int
    kind: str  # "served", "busy" or "unexpected"
    seconds: float
    message: str = ""


@dataclass
class Recorder:
    """Outcomes of all users, appended from their threads."""

    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
        if outcome.kind == "unexpected":
            logger.warning("%s failed: %s", outcome.endpoint, outcome.message)

    def count(self, kind: str) -> int:
        with self.lock:
            return sum(outcome.kind == kind for outcome in self.outcomes)


def send(client: Client, endpoint: str, request: Request, recorder: Recorder, round_: int) -> bool:
    """Send one request and record its outcome; return True when it was served correctly."""
    started = time.perf_counter()
    kind, message = "served", ""
    job = None
    try:
        job = client.submit(*request.args, api_name=endpoint)
        result = job.result(timeout=REQUEST_TIMEOUT_SECONDS)
    except QueueError as exc:
        kind = "busy" if QUEUE_FULL_MESSAGE in str(exc) else "unexpected"
        message = str(exc)
    except TimeoutError:
        if job is not None:
            job.cancel()
        kind, message = "unexpected", f"no result within {REQUEST_TIMEOUT_SECONDS} s"
    except Exception as exc:  # any other failure is what this test looks for
        kind, message = "unexpected", f"{type(exc).__name__}: {exc}"
    else:
        fault = request.check(result)
        if fault is not None:
            kind, message = "unexpected", f"wrong result: {fault}"
    recorder.add(Outcome(endpoint, round_, kind, time.perf_counter() - started, message))
    return kind == "served"


@dataclass
class User:
    """One student: a session of their own, and the endpoints they send to in turn."""

    index: int
    client: Client
    endpoints: list[str]
    rng: random.Random
    trains: bool
    model_ready: bool = False

    def warm_up(self, recorder: Recorder) -> None:
        """Train once if this user trains, then send one request to each other endpoint."""
        if self.trains and TRAIN_ENDPOINT in self.endpoints:
            request = train_own_model_request(self.rng)
            self.model_ready = send(self.client, TRAIN_ENDPOINT, request, recorder, WARM_UP_ROUND)
        order = [
            name for name in self.endpoints if name not in (TRAIN_ENDPOINT, SAMPLE_OWN_ENDPOINT)
        ]
        if self.model_ready and SAMPLE_OWN_ENDPOINT in self.endpoints:
            order.append(SAMPLE_OWN_ENDPOINT)
        self.rng.shuffle(order)
        for endpoint in order:
            send(self.client, endpoint, WORKLOADS[endpoint](self.rng), recorder, WARM_UP_ROUND)

    def run(self, deadline: float, recorder: Recorder, round_: int) -> None:
        """Send requests one after another until ``deadline`` (the last one may end after it)."""
        while time.monotonic() < deadline:
            order = [
                name
                for name in self.endpoints
                if name != TRAIN_ENDPOINT and (name != SAMPLE_OWN_ENDPOINT or self.model_ready)
            ]
            self.rng.shuffle(order)
            for endpoint in order:
                if time.monotonic() >= deadline:
                    return
                send(self.client, endpoint, WORKLOADS[endpoint](self.rng), recorder, round_)


def check_loopback_url(url: str) -> str:
    """Return ``url`` with a trailing slash if its host is a loopback address, else raise."""
    parsed = urllib.parse.urlparse(url)
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme not in ("http", "https") or not loopback:
        raise ValueError(
            f"--url must be an http(s) address on this machine's loopback interface "
            f"(127.0.0.0/8, ::1 or localhost), not {url!r}."
        )
    return url if url.endswith("/") else url + "/"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(log_file) -> tuple[subprocess.Popen, str]:
    """Start ``app.py`` on a free loopback port; return the process and its URL once it serves."""
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    logger.info("starting the app on %s (server log: %s)", url, log_file.name)
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "app.py")],
        cwd=REPO_ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + APP_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The app exited with status {process.returncode} before serving; "
                f"see {log_file.name}."
            )
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_app(process)
    raise RuntimeError(
        f"The app did not serve {url} within {APP_START_TIMEOUT_SECONDS} s; see {log_file.name}."
    )


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def find_server_pid(url: str) -> int | None:
    """Return the id of the process listening on the URL's port, or None if it cannot be seen."""
    port = urllib.parse.urlparse(url).port or 80
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            return connection.pid
    return None


def resident_mb(pid: int | None) -> float | None:
    """Return the resident memory of process ``pid`` in MB, or None if it cannot be read."""
    if pid is None:
        return None
    try:
        return round(psutil.Process(pid).memory_info().rss / 1e6, 1)
    except (psutil.NoSuchProcess, psutil.AccessDenied) as exc:
        logger.error("the memory of the server process %d cannot be read: %s", pid, exc)
        return None


def run_round(users: list[User], seconds: float, recorder: Recorder, round_: int, progress: bool):
    """Run every user until the round's deadline, showing the elapsed time and the counts."""
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    bar = tqdm(
        total=round(seconds),
        desc=f"round {round_}",
        unit="s",
        disable=not progress,
        bar_format="{l_bar}{bar}| {n}/{total} s{postfix}",
    )
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        pending = {pool.submit(user.run, deadline, recorder, round_) for user in users}
        while pending:
            done, pending = wait(pending, timeout=1, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # a bug in this script, not in the app: let it stop the run
            bar.n = min(round(seconds), round(time.monotonic() - started))
            bar.set_postfix(
                served=recorder.count("served"),
                busy=recorder.count("busy"),
                unexpected=recorder.count("unexpected"),
            )
    bar.close()


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def summarize(outcomes: list[Outcome], endpoints: list[str]) -> dict[str, dict]:
    """Return per endpoint the requests served after the models were loaded and their latency,
    the failures of all requests, and the latency of the first request."""
    summary = {}
    for endpoint in endpoints:
        mine = [o for o in outcomes if o.endpoint == endpoint]
        served = [o.seconds for o in mine if o.round >= WARM_UP_ROUND and o.kind == "served"]
        unexpected = [o.message for o in mine if o.kind == "unexpected"]
        summary[endpoint] = {
            "served": len(served),
            "busy": sum(o.kind == "busy" for o in mine),
            "unexpected": len(unexpected),
            "p50_seconds": percentile(served, 50),
            "p95_seconds": percentile(served, 95),
            "first_request_seconds": round(mine[0].seconds, 3) if mine else None,
            "unexpected_examples": unexpected[:EXAMPLE_MESSAGES_PER_ENDPOINT],
        }
    return summary


def format_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_mb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.0f} MB"


def print_report(result: dict) -> None:
    header = (
        f"{'endpoint':<20} {'served':>7} {'busy':>5} {'unexpected':>10} "
        f"{'p50 s':>7} {'p95 s':>7} {'first s':>7}"
    )
    print(header)
    print("-" * len(header))
    for endpoint, row in result["endpoints"].items():
        print(
            f"{endpoint:<20} {row['served']:>7} {row['busy']:>5} {row['unexpected']:>10} "
            f"{format_seconds(row['p50_seconds']):>7} {format_seconds(row['p95_seconds']):>7} "
            f"{format_seconds(row['first_request_seconds']):>7}"
        )
    for endpoint, reason in result["skipped"].items():
        print(f"{endpoint:<20} skipped: {reason}")
    memory = result["memory_mb"]
    rounds = ", ".join(format_mb(value) for value in memory["rounds"])
    print(
        f"server resident memory: {format_mb(memory['before'])} before, "
        f"{format_mb(memory['after_loading'])} with every model loaded, "
        f"{format_mb(memory['after_warmup'])} after the warm-up, after each round: {rounds}"
    )
    growth = result["memory_growth_mb"]
    if growth is not None:
        print(
            f"growth across the rounds: {growth:+,.0f} MB (tolerance "
            f"{result['max_growth_mb']:,.0f} MB); from the warm-up to the last round: "
            f"{result['memory_growth_after_warmup_mb']:+,.0f} MB"
        )
    print(
        f"{result['users']} users, {result['rounds']} rounds of {result['round_seconds']:g} s: "
        + ("passed" if result["passed"] else "FAILED: " + "; ".join(result["failures"]))
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=16, help="concurrent users (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--round-seconds", type=float, default=20, help="length of each round in seconds"
    )
    parser.add_argument(
        "--trainers",
        type=int,
        default=2,
        help=f"users that train on their own text once, for {MIN_TRAINING_SECONDS} s, and then "
        "also sample from their model; the app trains one model at a time (default 2)",
    )
    parser.add_argument(
        "--max-growth-mb",
        type=float,
        default=MAX_GROWTH_MB,
        help="largest accepted growth of the server's resident memory, in MB, from the end of "
        f"the first round to the end of the last (default {MAX_GROWTH_MB:g})",
    )
    parser.add_argument(
        "--url", help="a running app to test, on a loopback address (default: start one)"
    )
    parser.add_argument(
        "--pid",
        type=int,
        help="process id of the app given by --url, for its memory (default: the process "
        "listening on the URL's port)",
    )
    parser.add_argument(
        "--endpoints",
        nargs="+",
        choices=sorted(KNOWN_ENDPOINTS),
        default=sorted(KNOWN_ENDPOINTS),
        metavar="ENDPOINT",
        help="send only to these endpoints, for example to find which one a fault comes from "
        f"(default: all of {', '.join(sorted(KNOWN_ENDPOINTS))})",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the users' choices")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error(f"--users must be at least 1, not {args.users}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    if args.round_seconds <= 0:
        parser.error(f"--round-seconds must be positive, not {args.round_seconds:g}")
    if not 0 <= args.trainers <= args.users:
        parser.error(f"--trainers must be from 0 to --users ({args.users}), not {args.trainers}")
    if args.url is not None:
        try:
            args.url = check_loopback_url(args.url)
        except ValueError as exc:
            parser.error(str(exc))
    elif args.pid is not None:
        parser.error("--pid needs --url: without it the script starts the app and knows its pid")
    return args


def choose_endpoints(
    public: list[str], selected: list[str], trainers: int
) -> tuple[list[str], dict[str, str]]:
    """Return the endpoints that users send to, and the skipped endpoints with the reason."""
    skipped = {}
    for endpoint in sorted(KNOWN_ENDPOINTS - set(public)):
        skipped[endpoint] = "the app has no such endpoint (its tab is not built)"
    for endpoint in sorted(KNOWN_ENDPOINTS - set(selected)):
        skipped.setdefault(endpoint, "not in --endpoints")
    if trainers == 0:
        for endpoint in (TRAIN_ENDPOINT, SAMPLE_OWN_ENDPOINT):
            skipped.setdefault(
                endpoint, "--trainers 0: no user trains a model, and sampling needs one"
            )
    elif TRAIN_ENDPOINT in skipped:
        skipped.setdefault(SAMPLE_OWN_ENDPOINT, f"sampling needs a model from {TRAIN_ENDPOINT}")
    endpoints = [name for name in WORKLOADS if name not in skipped]
    if TRAIN_ENDPOINT not in skipped:
        endpoints.append(TRAIN_ENDPOINT)
    return endpoints, skipped


def connect_users(url: str, count: int) -> list[Client]:
    """Connect ``count`` clients at once, as a class opens the page; raise RuntimeError if any
    cannot connect."""
    logger.info("connecting %d users to %s", count, url)
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(Client, url, verbose=False) for _ in range(count)]
    clients, errors = [], []
    for future in futures:
        try:
            clients.append(future.result())
        except Exception as exc:  # a refused or timed-out connection, or an invalid response
            errors.append(f"{type(exc).__name__}: {exc}")
    if errors:
        for client in clients:
            client.close()
        raise RuntimeError(
            f"{len(errors)} of {count} users could not connect to {url}; the first error: "
            f"{errors[0]}"
        )
    return clients


def load_models(client: Client, endpoints: list[str], recorder: Recorder, seed: int) -> None:
    """Send a request to each endpoint that needs no trained model, loading every model."""
    rng = random.Random(seed)
    for endpoint in endpoints:
        if endpoint == "/generate_text":
            # Each text model loads on its first request.
            requests = [generate_text_request(rng, name) for name in TEXT_MODELS]
        elif endpoint not in (TRAIN_ENDPOINT, SAMPLE_OWN_ENDPOINT):
            requests = [WORKLOADS[endpoint](rng)]
        else:
            continue
        logger.info("loading the models: %s", endpoint)
        for request in requests:
            send(client, endpoint, request, recorder, LOADING_ROUND)


def run_load(args: argparse.Namespace, url: str, pid: int | None) -> dict:
    """Warm up the app at ``url``, run the rounds and return the results."""
    memory = {"before": resident_mb(pid), "after_loading": None, "after_warmup": None, "rounds": []}
    clients = connect_users(url, args.users)
    try:
        api = clients[0].view_api(print_info=False, return_format="dict")
        public = sorted(api["named_endpoints"])
        unexercised = sorted(set(public) - KNOWN_ENDPOINTS)
        if unexercised:
            logger.warning("no workload for the public endpoints %s", unexercised)
        endpoints, skipped = choose_endpoints(public, args.endpoints, args.trainers)
        recorder = Recorder()
        load_models(clients[0], endpoints, recorder, args.seed)
        memory["after_loading"] = resident_mb(pid)
        users = [
            User(
                index=i,
                client=client,
                endpoints=list(endpoints),
                rng=random.Random(args.seed * 1000 + i),
                trains=i < args.trainers,
            )
            for i, client in enumerate(clients)
        ]
        logger.info("warm-up: every user sends one request to each endpoint at once")
        with ThreadPoolExecutor(max_workers=len(users)) as pool:
            list(pool.map(lambda user: user.warm_up(recorder), users))
        memory["after_warmup"] = resident_mb(pid)
        for round_ in range(1, args.rounds + 1):
            run_round(users, args.round_seconds, recorder, round_, not args.no_progress)
            memory["rounds"].append(resident_mb(pid))
            logger.info("round %d done; server memory %s", round_, format_mb(memory["rounds"][-1]))
    finally:
        for client in clients:
            client.close()
    result = {
        "url": url,
        "users": args.users,
        "rounds": args.rounds,
        "round_seconds": args.round_seconds,
        "trainers": args.trainers,
        "endpoints": summarize(recorder.outcomes, endpoints),
        "skipped": skipped,
        "unexercised_endpoints": unexercised,
        "memory_mb": memory,
        "max_growth_mb": args.max_growth_mb,
    }
    add_verdict(result, pid)
    return result


def add_verdict(result: dict, pid: int | None) -> None:
    """Add the memory growth across the rounds, the failures and whether the run passed.

    With a single round, the growth is measured from the end of the warm-up.
    """
    memory = result["memory_mb"]
    measured = pid is not None and None not in [memory["after_warmup"], *memory["rounds"]]
    growth = after_warmup = None
    if measured:
        after_warmup = memory["rounds"][-1] - memory["after_warmup"]
        first = memory["rounds"][0] if len(memory["rounds"]) > 1 else memory["after_warmup"]
        growth = memory["rounds"][-1] - first
    result["memory_growth_mb"] = None if growth is None else round(growth, 1)
    result["memory_growth_after_warmup_mb"] = (
        None if after_warmup is None else round(after_warmup, 1)
    )
    failures = []
    if pid is not None and not measured:
        failures.append(f"the memory of the server process {pid} could not be read")
    unexpected = sum(row["unexpected"] for row in result["endpoints"].values())
    if unexpected:
        failures.append(f"{unexpected} unexpected failures")
    if growth is not None and growth > result["max_growth_mb"]:
        failures.append(
            f"memory grew by {growth:,.0f} MB across the rounds, "
            f"more than {result['max_growth_mb']:,.0f} MB"
        )
    result["failures"] = failures
    result["passed"] = not failures


def log_tail(path: str, lines: int = 40) -> None:
    text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    logger.error("last lines of the server log %s:\n%s", path, "\n".join(text[-lines:]))


def run_with_own_app(args: argparse.Namespace) -> dict:
    """Start the app, run the load on it and stop it; keep its log only when something failed."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="rnn-playground-load-", suffix=".log", delete=False
    ) as log_file:
        process, url = start_app(log_file)
        try:
            result = run_load(args, url, process.pid)
        finally:
            stop_app(process)
    if result["passed"]:
        os.unlink(log_file.name)
    else:
        log_tail(log_file.name)
    return result


def main(argv: list[str] | None = None) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # Each gradio_client request logs its HTTP calls at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = parse_args(argv)
    try:
        if args.url is None:
            result = run_with_own_app(args)
        else:
            pid = args.pid if args.pid is not None else find_server_pid(args.url)
            if pid is None:
                logger.warning(
                    "no process listening on %s can be seen; memory is not measured (pass --pid)",
                    args.url,
                )
            result = run_load(args, args.url, pid)
    except RuntimeError as exc:  # the app did not start, or users could not connect
        raise SystemExit(f"Load test failed: {exc}") from exc
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["passed"] else 1)
