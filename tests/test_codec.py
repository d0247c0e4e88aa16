"""Payload encryption: the codec alone, the codec server over HTTP, and a real incident whose
history holds ciphertext only, while no secret from the settings reaches history, logs or `show`.

The end-to-end part runs `incident worker` and the CLI as subprocesses against the real dev server,
with Slack and Statuspage stand-ins, so the worker's own log output is what is searched.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from operations.codec_server import bound_port, start_codec_server
from temporal_client.codec import (
    ENCODING,
    KEY_ID,
    CodecError,
    CodecKey,
    EncryptionCodec,
    data_converter,
    parse_keys,
)
from temporal_client.settings import Settings, SettingsError
from tests.standins.slack import BOT_USER, SlackStandIn
from tests.standins.statuspage import StatusPageStandIn
from tests.support import clean_env, wait_until_polled

STARTER = Path(__file__).resolve().parent.parent / "starter.py"
OLD_KEY, NEW_KEY = CodecKey("k2025", os.urandom(32)), CodecKey("k2026", os.urandom(32))
UI_ORIGIN = "http://localhost:8233"


def key_setting(*keys: CodecKey) -> str:
    return ",".join(f"{key.id}:{base64.b64encode(key.secret).decode()}" for key in keys)


def json_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


# --- The codec alone ---------------------------------------------------------------------------


async def test_round_trip_seals_every_payload_and_names_the_key() -> None:
    codec = EncryptionCodec([NEW_KEY])
    plain = [json_payload("Zebra breach"), json_payload("second")]
    sealed = await codec.encode(plain)
    for payload in sealed:
        assert payload.metadata["encoding"] == ENCODING
        assert payload.metadata[KEY_ID] == NEW_KEY.id.encode()
        assert b"Zebra" not in payload.data and b"json/plain" not in payload.data
    assert await codec.decode(sealed) == plain
    assert sealed[0].data != (await codec.encode(plain[:1]))[0].data, "a fresh nonce each time"


async def test_rotation_new_key_seals_old_key_still_opens() -> None:
    sealed_before = await EncryptionCodec([OLD_KEY]).encode([json_payload("before rotation")])
    rotated = EncryptionCodec([NEW_KEY, OLD_KEY])
    assert await rotated.decode(sealed_before) == [json_payload("before rotation")]
    sealed_after = await rotated.encode([json_payload("after rotation")])
    assert sealed_after[0].metadata[KEY_ID] == NEW_KEY.id.encode()
    assert await EncryptionCodec([NEW_KEY]).decode(sealed_after) == [json_payload("after rotation")]


async def test_a_missing_key_is_refused_in_one_sentence_naming_the_key_id() -> None:
    sealed = await EncryptionCodec([OLD_KEY]).encode([json_payload("x")])
    for keys in ([NEW_KEY], []):
        with pytest.raises(CodecError) as caught:
            await EncryptionCodec(keys).decode(sealed)
        message = str(caught.value)
        assert "k2025" in message and "INCIDENT_CODEC_KEYS" in message
        assert message.endswith(".") and "\n" not in message


async def test_a_wrong_key_under_the_same_id_or_altered_data_is_refused() -> None:
    sealed = await EncryptionCodec([OLD_KEY]).encode([json_payload("x")])
    impostor = CodecKey(OLD_KEY.id, os.urandom(32))
    with pytest.raises(CodecError, match="does not open with that key"):
        await EncryptionCodec([impostor]).decode(sealed)
    altered = Payload(metadata=dict(sealed[0].metadata), data=sealed[0].data[:-1] + b"\0")
    with pytest.raises(CodecError, match="altered"):
        await EncryptionCodec([OLD_KEY]).decode([altered])


async def test_plain_payloads_pass_through_and_no_key_means_no_encryption() -> None:
    plain = [json_payload("from before a key was set")]
    assert await EncryptionCodec([NEW_KEY]).decode(plain) == plain
    assert await EncryptionCodec([]).encode(plain) == plain
    assert not EncryptionCodec([]).encrypts


async def test_the_data_converter_seals_values_and_failure_messages() -> None:
    converter = data_converter([NEW_KEY])
    (payload,) = await converter.encode(["Zebra breach"])
    assert payload.metadata["encoding"] == ENCODING
    assert await converter.decode([payload], [str]) == ["Zebra breach"]
    failure = Failure()
    await converter.encode_failure(ValueError("Zebra in the failure"), failure)
    assert "Zebra" not in failure.message and failure.HasField("encoded_attributes")
    plain = data_converter([])
    (unsealed,) = await plain.encode(["Zebra breach"])
    assert unsealed.metadata["encoding"] == b"json/plain"


def test_key_setting_parses_in_order_and_keeps_the_secret_out_of_repr() -> None:
    keys = parse_keys(f" {key_setting(NEW_KEY, OLD_KEY)} ")
    assert [k.id for k in keys] == ["k2026", "k2025"]
    assert keys[0].secret == NEW_KEY.secret
    assert base64.b64encode(NEW_KEY.secret).decode() not in repr(keys)
    assert parse_keys("") == []


@pytest.mark.parametrize(
    ("text", "clue"),
    [
        ("nocolon", "ID:BASE64"),
        ("bad id:" + base64.b64encode(b"x" * 32).decode(), "ID:BASE64"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "needs 32"),
        (
            f"k1:{base64.b64encode(b'x' * 32).decode()},k1:{base64.b64encode(b'y' * 32).decode()}",
            "twice",
        ),
    ],
)
def test_bad_key_settings_are_refused_naming_the_setting(text: str, clue: str) -> None:
    settings = Settings(_env_file=None, incident_codec_keys=SecretStr(text))
    with pytest.raises(SettingsError) as caught:
        settings.codec_keys()
    assert "INCIDENT_CODEC_KEYS" in str(caught.value) and clue in str(caught.value)
    assert text.rpartition(":")[2] not in str(caught.value), "the key itself is never repeated"


# --- A real incident, a real worker and the CLI as subprocesses --------------------------------

DM, LEAD, INFOSEC = "U0CDM", "U0CLEAD", "U0CSEC"
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-Secret-Slack-Token-3141",
    "SLACK_SIGNING_SECRET": "Secret-Signing-2718",
    "STATUSPAGE_API_KEY": "Secret-Statuspage-Key-1618",
}
CODEC_SETTING = key_setting(NEW_KEY, OLD_KEY)
PLATFORM = "#wc-platform"
WAIT_SECONDS = 30


@dataclass
class Stack:
    """A worker subprocess with every secret set, its log file, the stand-ins and the CLI env."""

    env: dict[str, str]
    cwd: Path
    log: Path
    slack: SlackStandIn
    page: StatusPageStandIn
    client: Client  # the dev server's client: pydantic JSON, no codec, like a reader without keys

    async def cli(
        self, *args: str, as_user: str = LEAD, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(STARTER),
            "--as",
            as_user,
            *args,
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def ok(self, *args: str, as_user: str = LEAD) -> str:
        code, out, err = await self.cli(*args, as_user=as_user)
        assert code == 0, f"incident {' '.join(args)} failed: {err}"
        return out

    async def show(self, incident_id: str) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(await self.ok("--json", "show", incident_id))
        return shown

    async def history_json(self, incident_id: str) -> dict[str, Any]:
        history = await self.client.get_workflow_handle(incident_id).fetch_history()
        loaded: dict[str, Any] = json.loads(history.to_json())
        return loaded


def _cli_env(target: str, task_queue: str, slack: str, page: str) -> dict[str, str]:
    return clean_env(
        **SECRETS,
        TEMPORAL_ADDRESS=target,
        TEMPORAL_TASK_QUEUE=task_queue,
        INCIDENT_DELIVERY_MANAGERS=DM,
        INCIDENT_INFOSEC_HEAD=INFOSEC,
        INCIDENT_CODEC_KEYS=CODEC_SETTING,
        SLACK_API_URL=slack,
        SLACK_PLATFORM_CHANNEL=PLATFORM,
        STATUSPAGE_PAGE_ID="page1",
        STATUSPAGE_API_URL=page,
    )


@pytest_asyncio.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    slack = SlackStandIn(token=SECRETS["SLACK_BOT_TOKEN"])
    page = StatusPageStandIn(api_key=SECRETS["STATUSPAGE_API_KEY"], page_id="page1")
    await slack.start()
    await page.start()
    slack.add_channel("wc-platform", members={BOT_USER})
    cwd = tmp_path_factory.mktemp("codec")
    log = cwd / "worker.log"
    task_queue = f"codec-{uuid.uuid4()}"
    target = dev_env.client.service_client.config.target_host
    env = _cli_env(target, task_queue, slack.url, page.url)
    with log.open("wb") as log_file:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(STARTER),
            "worker",
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await wait_until_polled(
            dev_env.client, task_queue, tries=300, still_alive=lambda: worker.returncode is None
        )
        yield Stack(env, cwd, log, slack, page, dev_env.client)
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(worker.wait(), timeout=30)
            except TimeoutError:
                worker.kill()
        await slack.stop()
        await page.stop()


def payloads_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every payload (``{"metadata": …, "data": …}``) anywhere in a history's JSON."""
    if isinstance(node, dict):
        if "data" in node and isinstance(node.get("metadata"), dict):
            yield node
        for value in node.values():
            yield from payloads_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from payloads_in(item)


def _metadata(payload: dict[str, Any], name: str) -> bytes:
    return base64.b64decode(payload["metadata"].get(name, ""))


async def readable_texts(history: dict[str, Any], codec: EncryptionCodec | None) -> list[str]:
    """What a reader sees in the history: its JSON, and each payload's bytes (opened with
    ``codec`` when given, as they are stored when not)."""
    texts = [json.dumps(history)]
    for payload in payloads_in(history):
        proto = Payload(
            metadata={k: base64.b64decode(v) for k, v in payload["metadata"].items()},
            data=base64.b64decode(payload["data"]),
        )
        if codec is not None:
            (proto,) = await codec.decode([proto])
        texts.append(proto.data.decode(errors="replace"))
    return texts


async def eventually(check: Any, *, seconds: float = WAIT_SECONDS) -> None:
    for _ in range(int(seconds * 5)):
        if check():
            return
        await asyncio.sleep(0.2)
    assert check()


async def test_a_security_incident_is_ciphertext_in_history_but_readable_with_the_key(
    stack: Stack,
) -> None:
    incident_id = f"inc-codec-{uuid.uuid4().hex[:8]}"
    title, description = "Zebra-Quokka exfiltration 7731", "Quokka-description-4417 on host x"
    update = "Quokka-update-5521: rotated the leaked credentials"
    words = ("Zebra-Quokka", "Quokka-description-4417", "Quokka-update-5521")
    declared = ["declare", title, "--lead", LEAD, "--description", description]
    await stack.ok(*declared, "--security", "--id", incident_id)
    await stack.ok("update", incident_id, update)
    timeline = json.loads(await stack.ok("timeline", incident_id, "--format", "json"))
    assert any(update in entry.get("text", "") for entry in timeline)

    shown = await stack.show(incident_id)
    assert (shown["title"], shown["description"], shown["security"]) == (title, description, True)

    history = await stack.history_json(incident_id)
    stored = await readable_texts(history, None)
    leaks = [w for w in words for text in stored if w in text]
    assert not leaks, f"plaintext in the raw history: {leaks}"
    sealed = [p for p in payloads_in(history) if _metadata(p, "encoding") == ENCODING]
    assert len(sealed) >= 3, "the input, the update and the results are sealed"
    assert {_metadata(p, KEY_ID) for p in sealed} == {NEW_KEY.id.encode()}
    opened = "\n".join(await readable_texts(history, EncryptionCodec([NEW_KEY, OLD_KEY])))
    assert all(w in opened for w in words), "the search finds them once decrypted"

    # A reader without the key: the CLI says so in one sentence; a plain client cannot decode.
    for keys in ("", key_setting(OLD_KEY)):
        code, out, err = await stack.cli("show", incident_id, env={"INCIDENT_CODEC_KEYS": keys})
        assert code == 1 and not out
        assert err.strip().endswith("INCIDENT_CODEC_KEYS does not hold."), err
        assert "k2026" in err and "Traceback" not in err and err.count("\n") == 1
    with pytest.raises(Exception, match="encoding"):
        await stack.client.get_workflow_handle(incident_id).query("state")
    # The incident list still lists it, title withheld.
    code, out, err = await stack.cli("--json", "list", env={"INCIDENT_CODEC_KEYS": ""})
    assert code == 0, err
    listed = {item["id"]: item for item in json.loads(out)}
    assert listed[incident_id]["title"].startswith("(encrypted with a key")
    assert listed[incident_id]["status"] == "active" and listed[incident_id]["security"]


async def test_the_codec_server_decodes_what_the_web_ui_sends(stack: Stack) -> None:
    incident_id = f"inc-codec-ui-{uuid.uuid4().hex[:8]}"
    await stack.ok("report", "Zebra-Quokka web UI 9901", "--security", "--id", incident_id)
    history = await stack.history_json(incident_id)
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]
    body = {"payloads": started["input"]["payloads"]}
    runner = await start_codec_server(
        EncryptionCodec(parse_keys(CODEC_SETTING)), host="127.0.0.1", port=0, origins=[UI_ORIGIN]
    )
    url = f"http://127.0.0.1:{bound_port(runner)}"
    headers = {"Origin": UI_ORIGIN, "X-Namespace": "default"}
    try:
        async with aiohttp.ClientSession() as http:
            async with http.options(
                f"{url}/decode",
                headers={**headers, "Access-Control-Request-Method": "POST"},
            ) as preflight:
                assert preflight.status == 204
                assert preflight.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
                assert "x-namespace" in preflight.headers["Access-Control-Allow-Headers"]
            async with http.post(f"{url}/decode", json=body, headers=headers) as response:
                assert response.status == 200
                assert response.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
                decoded = (await response.json())["payloads"]
            (start,) = decoded
            assert base64.b64decode(start["metadata"]["encoding"]) == b"json/plain"
            assert (
                json.loads(base64.b64decode(start["data"]))["title"] == "Zebra-Quokka web UI 9901"
            )

            async with http.post(f"{url}/encode", json={"payloads": decoded}) as response:
                resealed = (await response.json())["payloads"]
                assert "Access-Control-Allow-Origin" not in response.headers, "no Origin sent"
            assert _metadata(resealed[0], "encoding") == ENCODING
            foreign = {"Origin": "https://evil.example"}
            async with http.post(f"{url}/decode", json=body, headers=foreign) as response:
                assert "Access-Control-Allow-Origin" not in response.headers
            async with http.post(f"{url}/decode", data=b"not json", headers=headers) as response:
                assert response.status == 400 and "payloads" in await response.text()
    finally:
        await runner.cleanup()


async def test_no_secret_reaches_inputs_history_logs_or_show(stack: Stack) -> None:
    incident_id = f"inc-secrets-{uuid.uuid4().hex[:8]}"
    await stack.ok("declare", "Search API down", "--lead", LEAD, "--id", incident_id)
    await stack.ok("update", incident_id, "restarted the search pods")
    await stack.ok(
        "statuspage", incident_id, "Search is slow", "--status", "identified", as_user=DM
    )
    await stack.ok("resolve", incident_id, "--summary", "pods restarted", as_user=DM)
    # Slack and the status page were really called, with the secrets, by the worker.
    await eventually(lambda: bool(stack.page.incidents))
    await eventually(lambda: any(r.method == "chat.postMessage" for r in stack.slack.requests))

    secrets = [*SECRETS.values(), *(part.partition(":")[2] for part in CODEC_SETTING.split(","))]
    history = await stack.history_json(incident_id)
    readable = await readable_texts(history, EncryptionCodec([NEW_KEY, OLD_KEY]))
    shown = await stack.ok("--json", "show", incident_id)
    shown_text = await stack.ok("show", incident_id)
    timeline = await stack.ok("timeline", incident_id)
    logs = stack.log.read_text()
    assert "payloads encrypted with key k2026" in logs, "the worker's log was captured"
    places = {"history": "\n".join(readable), "show": shown + shown_text + timeline, "logs": logs}
    found = [(where, s) for where, text in places.items() for s in secrets if s in text]
    assert not found, f"secrets leaked: {found}"
