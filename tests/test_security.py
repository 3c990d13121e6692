"""Security: checkpoints are never unpickled, uploads are size-capped, and model names from
requests are looked up in the registry and never used as paths."""

import dataclasses
import io
import json
import os
import pickle
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
import torch
from gradio.media import get_image
from gradio.utils import get_upload_folder
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from playground.catalog import SHIPPED_MODELS, build_registry
from playground.checkpoint import CheckpointError, checkpoint_paths, load_checkpoint
from playground.registry import ModelRegistry, UnknownModelError
from playground.textgen import load_char_language_model
from tests.conftest import SHIPPED_CHECKPOINTS, launch_app, tiny_spec

# --- Checkpoints are never unpickled ------------------------------------------------------


class CreatesMarker:
    """An object whose unpickling creates the directory ``path``, the proof of a pickle load."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def pickle_payloads(marker: Path) -> dict[str, bytes]:
    """Return a ``torch.save`` file and a raw pickle, each creating ``marker`` when unpickled."""
    state = {"weight": CreatesMarker(marker)}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return {"torch.save": buffer.getvalue(), "pickle.dumps": pickle.dumps(state)}


PAYLOAD_KINDS = ["torch.save", "pickle.dumps"]


def test_payloads_create_marker_when_unpickled(tmp_path):
    # Without this, a rejected payload could also mean a payload that does nothing.
    marker = tmp_path / "marker"
    payloads = pickle_payloads(marker)
    pickle.loads(payloads["pickle.dumps"])
    assert marker.is_dir()
    marker.rmdir()
    torch.load(io.BytesIO(payloads["torch.save"]), weights_only=False)
    assert marker.is_dir()


@pytest.mark.parametrize("kind", PAYLOAD_KINDS)
def test_load_checkpoint_never_unpickles(tmp_path, kind):
    marker = tmp_path / "marker"
    weights, meta = checkpoint_paths(tmp_path / "model")
    weights.write_bytes(pickle_payloads(marker)[kind])
    meta.write_text(json.dumps({"config": {}}), encoding="utf-8")
    with pytest.raises(CheckpointError, match="unreadable") as error:
        load_checkpoint(tmp_path / "model", "make-model")
    assert str(weights) in str(error.value)
    assert not marker.exists()


def write_pickled_checkpoints(folder: Path, marker: Path, kind: str) -> None:
    """Put every shipped model's real metadata in ``folder``, beside pickled 'weights'."""
    payload = pickle_payloads(marker)[kind]
    for spec in SHIPPED_MODELS:
        weights, meta = checkpoint_paths(folder / spec.checkpoint)
        shutil.copyfile(SHIPPED_CHECKPOINTS / meta.name, meta)
        weights.write_bytes(payload)


@pytest.mark.parametrize("kind", PAYLOAD_KINDS)
@pytest.mark.parametrize("spec", SHIPPED_MODELS, ids=lambda spec: spec.name)
def test_every_loader_rejects_pickled_weights(tmp_path, spec, kind):
    marker = tmp_path / "marker"
    write_pickled_checkpoints(tmp_path, marker, kind)
    registry = ModelRegistry([spec], tmp_path, device=torch.device("cpu"))
    with pytest.raises(CheckpointError, match="unreadable"):
        registry.get(spec.name)
    assert not registry.is_loaded(spec.name)
    assert not marker.exists()


@pytest.fixture(scope="module")
def pickled_app(tmp_path_factory):
    """The shipped app over a folder where every model's weights file is a pickle."""
    folder = tmp_path_factory.mktemp("pickled_checkpoints")
    marker = folder / "marker"
    write_pickled_checkpoints(folder, marker, "torch.save")
    demo, client = launch_app(build_registry(folder, device=torch.device("cpu")))
    yield client, marker
    client.close()
    demo.close()


PICKLED_APP_CALLS = [
    ("/generate_text", ("ROMEO:\n",)),
    ("/write_handwriting", ("Hello",)),
    ("/caption_image", (handle_file(get_image("cheetah.jpg")),)),
    ("/score_sentiment", ("A fine film.",)),
    ("/write_review", ("The film",)),
]


@pytest.mark.parametrize(
    ("endpoint", "args"), PICKLED_APP_CALLS, ids=[c[0] for c in PICKLED_APP_CALLS]
)
def test_app_rejects_pickled_weights(pickled_app, endpoint, args):
    client, marker = pickled_app
    with pytest.raises(AppError, match=r"\.safetensors are unreadable"):
        client.predict(*args, api_name=endpoint)
    assert not marker.exists()


# --- Uploads are size-capped ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_app():
    demo, client = launch_app(build_registry(device=torch.device("cpu")))
    yield client
    client.close()
    demo.close()


@pytest.fixture(scope="module")
def oversized_file(tmp_path_factory) -> Path:
    """A sparse text file one byte over the app's upload limit."""
    from app import MAX_UPLOAD_BYTES

    path = tmp_path_factory.mktemp("oversized") / "poems.txt"
    with open(path, "wb") as file:
        file.truncate(MAX_UPLOAD_BYTES + 1)
    return path


def stored_files(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in folder.rglob("*") if path.is_file()}


def test_server_rejects_oversized_upload(shipped_app, oversized_file):
    from app import MAX_UPLOAD_BYTES

    upload_folder = Path(get_upload_folder())
    before = stored_files(upload_folder)
    with open(oversized_file, "rb") as file:
        response = httpx.post(
            shipped_app.src + "gradio_api/upload",
            files={"files": (oversized_file.name, file, "text/plain")},
            timeout=60,
        )
    assert response.status_code == 413
    assert f"maximum allowed size of {MAX_UPLOAD_BYTES} bytes" in response.text
    # No part of the file is kept, so no handler can be given it.
    assert stored_files(upload_folder) == before


def test_client_rejects_oversized_upload(shipped_app, oversized_file):
    from app import MAX_UPLOAD_BYTES

    # gradio_client reads the limit from the app's config and checks the file before sending it.
    with pytest.raises(ValueError, match=f"exceeds the maximum file size of {MAX_UPLOAD_BYTES}"):
        shipped_app.predict(handle_file(str(oversized_file)), 5, api_name="/train_own_model")


def app_config(base_url: str) -> dict:
    return httpx.get(base_url + "config", timeout=10).json()


def raw_predict(
    base_url: str, api_name: str, data: list, config: dict | None = None, timeout: float = 120
) -> dict:
    """Call an event by name through the HTTP queue, as a browser does; return its final message.

    This reaches events that gradio_client refuses to call (api_visibility="private"),
    and sends payloads exactly as given, without gradio_client's file handling.
    """
    config = config or app_config(base_url)
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    joined = httpx.post(base_url + "gradio_api/queue/join", json=body, timeout=timeout)
    joined.raise_for_status()
    params = {"session_hash": session}
    with httpx.stream(
        "GET", base_url + "gradio_api/queue/data", params=params, timeout=timeout
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line.removeprefix("data:"))
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError(f"{api_name} sent no process_completed message")


# --- Model names are looked up, never joined into paths ------------------------------------

LONG_NAME = "a" * 10_000
HOSTILE_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "checkpoints/shakespeare",
    "shakespeare.safetensors",
    "shakespeare.json",
    "./shakespeare",
    "shakespeare/",
    "..",
    ".",
    "",
    " shakespeare",
    LONG_NAME,
    "shakespeare\x00",
    "\x00",
]
HOSTILE_IDS = [repr(name) if len(name) < 40 else "long name" for name in HOSTILE_NAMES]


@dataclasses.dataclass
class RecordingLoader:
    """The real character-model loader, recording each checkpoint stem that it is given."""

    stems: list[Path] = dataclasses.field(default_factory=list)

    def __call__(self, stem: Path, recreate_command: str, device: torch.device):
        self.stems.append(stem)
        return load_char_language_model(stem, recreate_command, device)


def plant_bait(checkpoint_dir: Path, name: str, source_dir: Path) -> Path | None:
    """Copy the tiny checkpoint to where ``checkpoint_dir / name`` would lead, if that is
    inside ``checkpoint_dir``'s grandparent; return the stem, or None where none can go."""
    if not name.strip(" ./") or "\x00" in name or len(name) > 200:
        return None
    stem = (checkpoint_dir / name).resolve()
    if not stem.is_relative_to(checkpoint_dir.parent.parent) or stem.name in ("", ".."):
        return None
    for source, target in zip(checkpoint_paths(source_dir / "tiny"), checkpoint_paths(stem)):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return stem


@pytest.fixture
def baited_registry(tiny_checkpoint_dir, tmp_path):
    """A registry serving the tiny model as 'shakespeare', with copies of its checkpoint
    wherever a hostile name joined to the checkpoint folder would lead."""
    checkpoint_dir = tmp_path / "app" / "data" / "checkpoints"
    checkpoint_dir.mkdir(parents=True)
    for source, target in zip(
        checkpoint_paths(tiny_checkpoint_dir / "tiny"), checkpoint_paths(checkpoint_dir / "tiny")
    ):
        shutil.copyfile(source, target)
    loader = RecordingLoader()
    spec = dataclasses.replace(tiny_spec("shakespeare", "tiny"), loader=loader)
    registry = ModelRegistry([spec], checkpoint_dir, device=torch.device("cpu"))
    return registry, loader, checkpoint_dir


@pytest.mark.parametrize(
    "name", [*HOSTILE_NAMES, None, 3, ["shakespeare"]], ids=[*HOSTILE_IDS, "None", "3", "list"]
)
def test_registry_rejects_hostile_names(baited_registry, tiny_checkpoint_dir, name):
    registry, loader, checkpoint_dir = baited_registry
    bait = plant_bait(checkpoint_dir, name, tiny_checkpoint_dir) if isinstance(name, str) else None
    if bait is not None:
        # The bait loads when a spec points at it, so a registry that joined names would succeed.
        control = dataclasses.replace(registry.spec("shakespeare"), name="control", checkpoint=name)
        assert ModelRegistry([control], checkpoint_dir).get("control") is not None
        loader.stems.clear()
    for lookup in (registry.get, registry.metadata, registry.checkpoint_stem, registry.spec):
        with pytest.raises(UnknownModelError, match="Available models: shakespeare") as error:
            lookup(name)
        assert str(error.value).startswith("Unknown model ")
    assert loader.stems == []
    assert not registry.is_loaded("shakespeare")


@pytest.fixture
def baited_app(baited_registry, tiny_checkpoint_dir):
    registry, loader, checkpoint_dir = baited_registry
    for name in HOSTILE_NAMES:
        plant_bait(checkpoint_dir, name, tiny_checkpoint_dir)
    demo, client = launch_app(registry)
    yield client, loader
    client.close()
    demo.close()


def model_name_events(config: dict) -> dict[str, tuple[list, int]]:
    """Return each event that takes the model dropdown: its inputs' current values and the
    dropdown's position among them."""
    components = {c["id"]: c for c in config["components"]}
    dropdowns = [
        c["id"]
        for c in config["components"]
        if c["type"] == "dropdown" and c["props"].get("label") == "Model"
    ]
    assert len(dropdowns) == 1
    events = {}
    for dependency in config["dependencies"]:
        inputs = dependency["inputs"]
        if dropdowns[0] in inputs:
            values = [components[i]["props"].get("value") for i in inputs]
            events[dependency["api_name"]] = (values, inputs.index(dropdowns[0]))
    return events


def test_app_rejects_hostile_names_everywhere(baited_app):
    client, loader = baited_app
    config = app_config(client.src)
    events = model_name_events(config)
    # The public endpoint and the tab's own events: prime notes, model card, neuron explorer.
    assert {"generate_text", "describe_prime", "describe_model", "find_cells"} <= set(events)
    for name in HOSTILE_NAMES:
        # The message lists the registered models, and this registry has only 'shakespeare'.
        with pytest.raises(AppError, match="'shakespeare'"):
            client.predict("ROMEO:", name, api_name="/generate_text")
        for api_name, (values, position) in events.items():
            data = [name if i == position else value for i, value in enumerate(values)]
            message = raw_predict(client.src, api_name, data, config)
            assert not message["success"], api_name
            assert "'shakespeare'" in message["output"]["error"], api_name
            assert "Traceback" not in message["output"]["error"], api_name
    assert loader.stems == []
