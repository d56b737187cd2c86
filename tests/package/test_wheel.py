"""A plain install works: the wheel, installed without -e into a fresh folder,
answers a question from another working directory. Every data file (dictionary,
thesaurus, stop words, page assets, question sets) comes from inside the package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "corpus" / "paper-chengyu-three-clusters-2025.txt"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, unpacked into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        tmp,
        dict(os.environ),
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp / "dist").glob("policyqa-*.whl"))
    site = tmp / "site"
    install = run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)],
        tmp,
        dict(os.environ),
    )
    assert install.returncode == 0, install.stderr[-2000:]
    return site


def test_the_installed_wheel_answers_from_another_directory(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    corpus = tmp_path / "my-corpus"
    corpus.mkdir()
    shutil.copy(PAPER, corpus / PAPER.name)
    env = dict(os.environ)
    # the installed copy comes first on the path; the checkout is not on it at all
    env.update(
        PYTHONPATH=str(installed),
        PYTHONSAFEPATH="1",
        POLICYQA_HOME=str(tmp_path / "home"),
        POLICYQA_CORPUS=str(corpus),
        HF_HUB_OFFLINE="1",
    )
    where = run(
        [
            sys.executable,
            "-c",
            "import policyqa.language as m; print(m.__file__)",
        ],
        elsewhere,
        env,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(installed)), where.stdout
    cli = [sys.executable, "-m", "policyqa.cli"]
    ingest = run([*cli, "ingest"], elsewhere, env)
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    assert "chunks" in ingest.stdout
    ask = run([*cli, "ask", "--json", "成渝新能源汽车本地配套率是多少？"], elsewhere, env)
    assert ask.returncode == 0, ask.stderr[-2000:]
    result = json.loads(ask.stdout)
    assert result["answerable"] and "30%" in result["answer"]
    assert result["citations"] and all(c["quote"] for c in result["citations"])
    files = run(
        [
            sys.executable,
            "-c",
            "from policyqa.language import data_path as d;"
            "from policyqa.web.render import asset;"
            "print(all(d(p, n).is_file() for p, n in [('policyqa.ingest','userdict.txt'),"
            "('policyqa.ingest','stopwords.txt'),('policyqa.index','thesaurus.txt'),"
            "('policyqa.eval','gold.jsonl')]), bool(asset('page.css')))",
        ],
        elsewhere,
        env,
    )
    assert files.stdout.split() == ["True", "True"], files.stderr[-2000:]
