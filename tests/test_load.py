"""Load: many users at once on the shipped app, and a full queue that rejects requests."""

import dataclasses
import threading
import time

import httpx
import pytest
import torch
from gradio_client.utils import QueueError, Status

from bench.load_test import KNOWN_ENDPOINTS, check_loopback_url
from bench.load_test import main as load_test
from playground.registry import ModelRegistry
from playground.textgen import load_char_language_model
from tests.conftest import launch_app, tiny_spec


def test_short_load_run_has_no_unexpected_failures(tmp_path):
    report = tmp_path / "load.json"
    result = load_test(
        [
            "--users",
            "8",
            "--rounds",
            "3",
            "--round-seconds",
            "5",
            "--trainers",
            "1",
            # Rounds of 5 s end before the server's memory settles: one fresh-clone run
            # grew 126 MB across them, while 20 s rounds stay within the default 100 MB.
            "--max-growth-mb",
            "250",
            "--no-progress",
            "--json",
            str(report),
        ]
    )
    assert report.is_file()
    assert result["unexercised_endpoints"] == []
    assert result["skipped"] == {}
    assert set(result["endpoints"]) == KNOWN_ENDPOINTS
    for endpoint, row in result["endpoints"].items():
        assert row["unexpected"] == 0, (endpoint, row["unexpected_examples"])
        assert row["served"] >= 1, endpoint
    memory = result["memory_mb"]
    assert None not in [memory["before"], memory["after_warmup"], *memory["rounds"]]
    assert result["memory_growth_mb"] <= result["max_growth_mb"]
    unexpected = sum(row["unexpected"] for row in result["endpoints"].values())
    assert result["passed"] == (unexpected == 0)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:7860/",
        "http://10.0.0.1:7860/",
        "http://0.0.0.0:7860/",
        "http://127.0.0.1.example.com/",
        "ftp://127.0.0.1/",
        "127.0.0.1:7860",
    ],
)
def test_load_script_rejects_other_hosts(url):
    with pytest.raises(ValueError, match="loopback"):
        check_loopback_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:7860", "http://localhost:7860/", "http://[::1]:7860/"]
)
def test_load_script_accepts_loopback(url):
    assert check_loopback_url(url).endswith(":7860/")


# A running job reports PROCESSING, or one of these while it sends updates.
RUNNING = {Status.PROCESSING, Status.ITERATING, Status.PROGRESS, Status.LOG}


def wait_for(jobs, status: Status, timeout: float = 60) -> None:
    accepted = RUNNING if status == Status.PROCESSING else {status}
    deadline = time.monotonic() + timeout
    while any(job.status().code not in accepted for job in jobs):
        assert time.monotonic() < deadline, [job.status().code for job in jobs]
        time.sleep(0.05)


def test_full_queue_rejects_at_once(tiny_checkpoint_dir):
    from app import CONCURRENCY_PER_EVENT

    # The model loads only when the test opens the gate. Until then the requests that reach
    # a worker stay running and the next one stays waiting, so the queue is full.
    gate = threading.Event()

    def load_when_opened(stem, recreate_command, device):
        assert gate.wait(timeout=120)
        return load_char_language_model(stem, recreate_command, device)

    spec = dataclasses.replace(tiny_spec(), loader=load_when_opened)
    registry = ModelRegistry([spec], tiny_checkpoint_dir, device=torch.device("cpu"))
    demo, client = launch_app(registry, queue_max_size=1)
    args = ("ROMEO:", "tiny", 0.8, 0, 20, 1)
    try:
        # One at a time: with room for one waiting request, a second request sent before a
        # worker takes the first would find the queue full.
        running = []
        for _ in range(CONCURRENCY_PER_EVENT):
            running.append(client.submit(*args, api_name="/generate_text"))
            wait_for(running, Status.PROCESSING)
        waiting = client.submit(*args, api_name="/generate_text")
        wait_for([waiting], Status.IN_QUEUE)

        started = time.monotonic()
        with pytest.raises(QueueError, match=r"Queue is full! Please try again\."):
            client.submit(*args, api_name="/generate_text").result(timeout=30)
        assert time.monotonic() - started < 5

        # The HTTP response behind it, which the page shows as "This application is
        # currently busy. Please try again."
        config = httpx.get(demo.local_url + "config", timeout=10).json()
        fn_index = next(d["id"] for d in config["dependencies"] if d["api_name"] == "generate_text")
        response = httpx.post(
            demo.local_url + "gradio_api/queue/join",
            json={"data": list(args), "fn_index": fn_index, "session_hash": "busy-check"},
            timeout=10,
        )
        assert response.status_code == 503
        assert response.json()["detail"] == "Queue is full. Max size is 1 and size is 1."

        # Once the model loads, every accepted request is served.
        gate.set()
        for job in [*running, waiting]:
            assert len(job.result(timeout=120)) == 20
    finally:
        gate.set()
        client.close()
        demo.close()
