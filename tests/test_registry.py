import threading
import time

import pytest

from playground.catalog import SHIPPED_MODELS, build_registry
from playground.checkpoint import CheckpointError
from playground.registry import ModelRegistry, ModelSpec, UnknownModelError
from tests.conftest import tiny_spec


def test_nothing_loads_before_first_use(tiny_registry):
    assert not tiny_registry.is_loaded("tiny")
    assert tiny_registry.metadata("tiny")["name"] == "tiny"
    assert not tiny_registry.is_loaded("tiny")
    tiny_registry.get("tiny")
    assert tiny_registry.is_loaded("tiny")


def test_concurrent_first_requests_load_once(tiny_checkpoint_dir):
    calls = []

    def slow_loader(stem, command, device):
        calls.append(stem)
        time.sleep(0.2)
        return object()

    registry = ModelRegistry(
        [ModelSpec("slow", "text-generation", "Slow", "tiny", "recreate", slow_loader)],
        tiny_checkpoint_dir,
    )
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(registry.get("slow"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(result) for result in results}) == 1


def test_missing_checkpoint_names_file_and_command(tmp_path):
    registry = ModelRegistry([tiny_spec()], tmp_path)
    with pytest.raises(CheckpointError) as error:
        registry.get("tiny")
    message = str(error.value)
    assert str(tmp_path / "tiny.safetensors") in message
    assert "make-tiny-model tiny" in message


def test_failed_load_is_retried_after_fix(tiny_checkpoint_dir, tmp_path):
    registry = ModelRegistry([tiny_spec()], tmp_path)
    with pytest.raises(CheckpointError):
        registry.get("tiny")
    for suffix in (".safetensors", ".json"):
        (tmp_path / f"tiny{suffix}").write_bytes(
            (tiny_checkpoint_dir / f"tiny{suffix}").read_bytes()
        )
    assert registry.get("tiny").vocab is not None


@pytest.mark.parametrize(
    "damage, cause",
    [
        ("truncate_weights", "unreadable"),
        ("garbage_json", "not valid JSON"),
        ("wrong_shape", "shape"),
    ],
)
def test_corrupt_checkpoint_is_reported(tiny_checkpoint_dir, tmp_path, damage, cause):
    weights = (tiny_checkpoint_dir / "tiny.safetensors").read_bytes()
    meta = (tiny_checkpoint_dir / "tiny.json").read_text()
    if damage == "truncate_weights":
        weights = weights[: len(weights) // 2]
    elif damage == "garbage_json":
        meta = meta[:-40]
    else:
        assert '"hidden_size": 48' in meta
        meta = meta.replace('"hidden_size": 48', '"hidden_size": 64')
    (tmp_path / "tiny.safetensors").write_bytes(weights)
    (tmp_path / "tiny.json").write_text(meta)
    with pytest.raises(CheckpointError, match=cause) as error:
        ModelRegistry([tiny_spec()], tmp_path).get("tiny")
    assert str(tmp_path / "tiny") in str(error.value)


def test_pickle_file_is_never_loaded(tiny_checkpoint_dir, tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled')",))

    (tmp_path / "tiny.safetensors").write_bytes(pickle.dumps({"weights": Boom()}))
    (tmp_path / "tiny.json").write_text((tiny_checkpoint_dir / "tiny.json").read_text())
    with pytest.raises(CheckpointError, match="unreadable"):
        ModelRegistry([tiny_spec()], tmp_path).get("tiny")


@pytest.mark.parametrize("name", ["../checkpoints/shakespeare", "/etc/passwd", "", None, 3])
def test_unknown_model_names_are_rejected(tiny_registry, name):
    with pytest.raises(UnknownModelError, match="Unknown model"):
        tiny_registry.get(name)


def test_shipped_registry_lists_every_model():
    registry = build_registry()
    assert registry.names("text-generation") == [
        s.name for s in SHIPPED_MODELS if s.task == "text-generation"
    ]
    assert not any(registry.is_loaded(name) for name in registry.names())
