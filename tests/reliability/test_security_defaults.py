"""Safe by default: served on localhost, no pickle in the index, no network at
run time, and an API key that never leaves the environment."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from policyqa.app import PolicyQA
from policyqa.assistant.llm import chat_model
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings
from tests.conftest import ROOT

CLI = str(Path(sys.executable).with_name("policyqa"))
SECRET = "sk-test-SECRET"
KNOWN = "成渝新能源汽车本地配套率是多少？"
PICKLE_MAGIC = tuple(b"\x80" + bytes([p]) for p in range(2, 6))


def ask(app: PolicyQA, question: str, **kwargs) -> dict:
    """The answer as `policyqa ask --json` prints it."""
    return app.ask(question, **kwargs).to_dict()


@pytest.mark.unit
def test_default_host_is_localhost(monkeypatch) -> None:
    monkeypatch.delenv("POLICYQA_HOST", raising=False)
    assert Settings().host == "127.0.0.1"
    assert Settings.from_env().host == "127.0.0.1"
    assert Settings.from_env().auth == ""  # and no default password


@pytest.mark.unit
def test_serve_help_shows_the_localhost_default() -> None:
    env = {k: v for k, v in os.environ.items() if k != "POLICYQA_HOST"}
    done = subprocess.run(
        [CLI, "serve", "--help"], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    host = next(line for line in done.stdout.splitlines() if "--host" in line)
    assert "127.0.0.1" in host and "0.0.0.0" not in done.stdout


@pytest.mark.integration
def test_index_folder_holds_no_pickle(paper_settings) -> None:
    index = paper_settings.index_dir
    files = [p for p in index.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".joblib")]
    ours = [p for p in files if "chroma" not in p.relative_to(index).parts]
    for p in ours:  # chroma's own binaries excepted, nothing starts like a pickle
        assert not p.read_bytes()[:2].startswith(PICKLE_MAGIC), p
    npys = [p for p in ours if p.suffix == ".npy"]
    assert len(npys) >= 6  # bm25 and bigram: data, indices, indptr
    for p in npys:
        array = np.load(p, allow_pickle=False)
        assert array.dtype != object, p
    for p in ours:
        if p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))
        elif p.suffix == ".jsonl":
            for line in p.read_text(encoding="utf-8").splitlines():
                json.loads(line)


def _loopback(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Refuse (and record) every connection or name lookup that is not loopback."""
    attempts: list = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    getaddrinfo, create_connection = socket.getaddrinfo, socket.create_connection

    def guard(address) -> None:
        if isinstance(address, tuple) and not _loopback(address[0]):
            attempts.append(address)
            raise OSError(f"network disabled in this test: {address}")

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        guard((host.decode() if isinstance(host, bytes) else host, 0))
        return getaddrinfo(host, *args, **kwargs)

    def guarded_create_connection(address, *args, **kwargs):
        guard(address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    return attempts


@pytest.mark.unit
def test_network_guard_works(no_network) -> None:
    with pytest.raises(OSError, match="network disabled"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    assert no_network == [("203.0.113.7", 443)]


@pytest.mark.integration
def test_offline_ask_makes_no_network_call(paper_settings, no_network) -> None:
    # a new facade: the retriever, model and index load cold here
    cold = PolicyQA(paper_settings.with_(max_question_chars=paper_settings.max_question_chars - 1))
    result = ask(cold, KNOWN)
    assert result["answerable"] and "30%" in result["answer"]
    ask(cold, "今天成都的天气怎么样？")
    assert no_network == [], f"network calls during an offline ask: {no_network}"


@pytest.mark.integration
def test_api_key_never_leaves_the_environment(
    paper_settings, paper_app, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("POLICYQA_LLM_API_KEY", SECRET)
    settings = Settings.from_env(home=paper_settings.home)
    assert settings.llm_api_key == SECRET  # read from the environment ...
    assert SECRET not in repr(settings) and SECRET not in str(dataclasses.asdict(settings))

    env = {**os.environ, "POLICYQA_HOME": str(paper_settings.home)}
    status = subprocess.run(
        [CLI, "status", "--json"], capture_output=True, text=True, env=env, timeout=300
    )
    assert status.returncode == 0, status.stderr
    json.loads(status.stdout)
    assert SECRET not in status.stdout + status.stderr

    assert SECRET not in json.dumps(ask(paper_app, KNOWN), ensure_ascii=False)
    # LLM mode with a server that is not there: the error shown names no key
    llm = paper_settings.with_(llm_base_url="http://127.0.0.1:9/v1", llm_model="any")
    result = ask(PolicyQA(llm, paper_app.embedder, paper_app.tokenizer), KNOWN, use_llm=True)
    assert result["mode"] == "extractive" and "LLM" in result["notice"]
    assert SECRET not in json.dumps(result, ensure_ascii=False)
    try:
        chat_model(llm)
    except PolicyQAError as exc:  # langchain-openai is optional
        assert SECRET not in str(exc)

    from policyqa.eval.runner import run_eval

    gold = tmp_path / "gold.jsonl"
    lines = (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    run_eval(paper_app, gold, json_out=tmp_path / "eval.json", report_dir=tmp_path / "rep")
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != gold]
    assert any(p.name == "report.md" for p in written)
    for p in written:
        assert SECRET.encode() not in p.read_bytes(), p
