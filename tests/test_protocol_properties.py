"""Property tests: any bytes or JSON thrown at the message schema and at the host's framing
get a clear answer, never an exception, and the stream stays in step."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handful.api import protocol
from handful.host import Relay
from handful.paths import Paths
from tests.conftest import Home

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)
TYPES = [*sorted(protocol.TYPES), "nope", ""]
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={"id": st.one_of(st.integers(), st.text(max_size=10), json_values),
              "event": json_values | st.fixed_dictionaries(
                  {"id": st.text(max_size=8)},
                  optional={"group": json_values, "kind": st.text(max_size=8),
                            "ts": st.text(max_size=30), "minutes": json_values}),
              "key": json_values, "value": json_values, "groups": json_values,
              "batch": json_values, "all": json_values})


@settings(max_examples=500, deadline=None)
@given(raw=st.binary(max_size=300))
def test_any_bytes_parse_or_fail_clearly(raw: bytes) -> None:
    try:
        request = protocol.parse(raw)
    except protocol.ProtocolError as error:
        assert error.code in {"bad_json", "invalid", "unknown_type", "too_large"}
        assert str(error) and "\n" not in str(error)
    else:
        assert request.type in protocol.TYPES


@settings(max_examples=500, deadline=None)
@given(message=messages)
def test_any_message_shape_parses_or_fails_clearly(message: dict[str, Any]) -> None:
    raw = json.dumps(message).encode()
    try:
        request = protocol.parse(raw)
    except protocol.ProtocolError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert request.type == message["type"]
        if isinstance(message.get("id"), int | str) and not isinstance(message["id"], bool):
            assert request.id == message["id"]


@pytest.fixture(scope="module")
def agent_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    from tests.conftest import base_env

    root = tmp_path_factory.mktemp("props") / "home"
    home = Home(root, base_env(root))
    home.ok("init")
    home.ok("start")
    yield home
    home.run("stop")


frames = st.lists(st.one_of(
    messages.map(lambda m: json.dumps(m).encode()),
    st.binary(max_size=64),
    st.just(b""),
    st.just(json.dumps({"id": 1, "type": "status"}).encode()),
), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies=frames, cut=st.integers(min_value=0, max_value=6))
def test_the_host_answers_every_whole_frame(agent_home: Home, bodies: list[bytes],
                                            cut: int) -> None:
    stream = b"".join(struct.pack("=I", len(b)) + b for b in bodies)
    tail = b""
    if cut:  # a last frame the browser never finished
        tail = struct.pack("=I", 100) + b"x" * (cut * 3)
    stdout = io.BytesIO()
    paths = Paths.from_env({"HANDFUL_HOME": str(agent_home.root)})
    relay = Relay(paths, io.BytesIO(stream + tail), stdout)
    try:
        code = relay.run()
    finally:
        relay.client.close()
    assert code == (1 if cut else 0)
    out = stdout.getvalue()
    replies = []
    while out:
        (length,) = struct.unpack_from("=I", out)
        replies.append(json.loads(out[4:4 + length]))
        out = out[4 + length:]
    assert len(replies) == len(bodies)
    for body, reply in zip(bodies, replies, strict=True):
        assert set(reply) == {"id", "ok", "result"} or set(reply) == {"id", "ok", "error"}
        try:
            sent = json.loads(body)
        except ValueError:
            continue
        if isinstance(sent, dict) and isinstance(sent.get("id"), int | str) \
                and not isinstance(sent.get("id"), bool):
            assert reply["id"] == sent["id"]


def test_home_paths_are_what_the_host_uses(agent_home: Home) -> None:
    assert Path(agent_home.root / "run" / "agent.sock").exists()
