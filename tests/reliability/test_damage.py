"""Fault injection: every kind of file of a live generation truncated, with bytes
flipped, deleted, or replaced by another generation's copy; the manifests; the
Chroma collection. Each case runs the CLI (in-process, with the fake embedder)
and must end without a traceback, name what is damaged (`ask`, `status
--verify`), repair it (`ingest --repair`), answer exactly as before and keep
every chunk once. test_damage_cli.py runs a few cases in real processes with
the real model; test_faults.py covers the Chroma server and a full disk.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyqa import app as app_module
from policyqa.cli import main
from policyqa.index.integrity import verify
from policyqa.index.manifest import COPY, NAME, PREVIOUS, gen_dir, read_manifest
from policyqa.indexing import ingest
from policyqa.settings import Settings
from tests.conftest import FakeEmbedder
from tests.fixtures import SYNTHETIC_PLAN
from tests.reliability.damage import (
    KINDS,
    MODES,
    QUESTIONS,
    Observed,
    assert_same,
    copy_home,
    damage,
    observe,
    one_line_naming,
    paper_corpus,
    without_timing,
)

pytestmark = pytest.mark.slow


class Pristine:
    """Generation 1 (the paper) and the live generation 2 (paper and a plan), with
    what generation 2 answers."""

    def __init__(self, root: Path, tokenizer) -> None:
        self.corpus = paper_corpus(root / "corpus")
        self.home = root / "home"
        self.tokenizer = tokenizer
        s = self.settings(self.home)
        assert ingest(s, FakeEmbedder(), tokenizer).generation == 1
        (self.corpus / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
        assert ingest(s, FakeEmbedder(), tokenizer).generation == 2
        self.before: Observed = observe(s, tokenizer)
        assert verify(s).ok

    def settings(self, home: Path) -> Settings:
        return Settings.from_env(home=home, corpus=self.corpus, embed_model="fake-embedder")

    def copy(self, tmp_path: Path) -> Settings:
        return self.settings(copy_home(self.home, tmp_path / "home"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, tokenizer) -> Pristine:
    return Pristine(tmp_path_factory.mktemp("pristine"), tokenizer)


@pytest.fixture(scope="module")
def cli(pristine, tokenizer):
    """`policyqa …` in this process, with the fake embedder; returns (code, stdout, stderr)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(app_module, "embedder_for", lambda settings: FakeEmbedder())
    patch.setattr(app_module, "tokenizer_for", lambda settings: tokenizer)
    patch.setenv("POLICYQA_CORPUS", str(pristine.corpus))
    patch.setenv("POLICYQA_EMBED_MODEL", "fake-embedder")
    runner = CliRunner()

    def run(settings: Settings, *args: str, collect: bool = False) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--home", str(settings.home), *args])
        if collect:
            gc.collect()  # closes the Chroma clients the command left open
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{args}: uncaught {result.exception!r}") from result.exception
        assert "Traceback" not in result.stderr + result.stdout
        return result.exit_code, result.stdout, result.stderr

    yield run
    patch.undo()


def repaired_and_identical(
    pristine: Pristine, cli, s: Settings, name: str, full: bool = True
) -> str:
    """`status --verify` names `name`; `ingest --repair` repairs it; the answers and
    the chunks are those of before (`full`: also by `status --verify` and `ask --json`
    through the CLI). Returns the ingest's output."""
    if full:
        code, out, _ = cli(s, "status", "--verify")
        assert code == 1 and "damaged: " in out and name in out, out
    code, repaired, err = cli(s, "ingest", "--repair")
    assert code == 0, repaired + err
    assert "repaired:" in repaired and name in repaired, repaired
    assert verify(s, chroma=False).ok
    assert_same(s, pristine.tokenizer, pristine.before)
    if full:
        code, out, _ = cli(s, "status", "--verify")
        assert code == 0 and "no damage" in out, out
        code, out, _ = cli(s, "ask", "--json", QUESTIONS[0])
        assert code == 0 and without_timing(json.loads(out)) == pristine.before.answers[0]
    return repaired


def test_the_suite_covers_every_file_of_a_generation(pristine) -> None:
    manifest = read_manifest(pristine.settings(pristine.home).index_dir)
    assert {rel.split("/", 1)[1] for rel in manifest.artifacts} == set(KINDS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_damaged_file(pristine, cli, tmp_path, kind: str, mode: str) -> None:
    s = pristine.copy(tmp_path)
    target = gen_dir(s.index_dir, 2) / kind
    other = gen_dir(s.index_dir, 1) / kind
    if mode == "replace" and other.read_bytes() == target.read_bytes():
        pytest.skip(f"{kind} is the same in both generations: nothing is damaged")
    damage(target, mode, other)
    code, _, err = cli(s, "ask", "--json", QUESTIONS[0])
    assert code == 2
    one_line_naming(err, str(target))
    # `status --verify` and the CLI's answers once per file kind; the rest each time
    repaired_and_identical(pristine, cli, s, str(target), full=mode == "flip")


@pytest.mark.parametrize("mode", ("delete folder", "delete collection", "truncate", "replace"))
def test_damaged_chroma(pristine, cli, tmp_path, mode: str) -> None:
    s = pristine.copy(tmp_path)
    folder = s.chroma_dir / "g000002"
    if mode == "delete folder":
        shutil.rmtree(folder)
    elif mode == "delete collection":
        import chromadb

        client = chromadb.PersistentClient(str(folder))
        client.delete_collection("policyqa-g000002")
        client.close()
    elif mode == "truncate":
        damage(folder / "chroma.sqlite3", "truncate")
    else:  # another generation's folder in its place
        shutil.rmtree(folder)
        shutil.copytree(s.chroma_dir / "g000001", folder)
    code, _, err = cli(s, "ask", "--json", QUESTIONS[0])
    assert code == 2
    one_line_naming(err, str(folder))
    out = repaired_and_identical(pristine, cli, s, str(folder))
    assert "embedded 0 new" in out  # rebuilt from the generation's own vectors


@pytest.mark.parametrize("mode", ("flip", "truncate"))
def test_chroma_damage_that_does_not_matter(pristine, cli, tmp_path, mode: str) -> None:
    """Bytes flipped in Chroma's database or its HNSW files: whatever Chroma makes of
    them, no traceback, and after an ingest the same answers."""
    s = pristine.copy(tmp_path)
    folder = s.chroma_dir / "g000002"
    for path in [folder / "chroma.sqlite3", *folder.glob("*/data_level0.bin")]:
        if mode == "flip" or path.name != "chroma.sqlite3":
            damage(path, mode)
    code, _, err = cli(s, "ask", "--json", QUESTIONS[0], collect=True)
    assert code in (0, 2)
    if code == 2:
        one_line_naming(err, str(folder))
    code, out, err = cli(s, "ingest", "--repair")
    assert code == 0, out + err
    assert_same(s, pristine.tokenizer, pristine.before)


# --- manifests ----------------------------------------------------------------------------


def test_current_manifest_not_json(pristine, cli, tmp_path, caplog) -> None:
    """Questions fall back to the previous generation with a warning naming the file;
    an ingest restores the live one from its own copy, rebuilding nothing."""
    s = pristine.copy(tmp_path)
    (s.index_dir / NAME).write_text('{"generation": 2, ', encoding="utf-8")
    code, _, _ = cli(s, "ask", "--json", QUESTIONS[0], collect=True)
    assert code == 0
    assert any(
        str(s.index_dir / NAME) in r.getMessage() and "previous generation 1" in r.getMessage()
        for r in caplog.records
    )
    out = repaired_and_identical(pristine, cli, s, str(s.index_dir / NAME))
    assert "restored from gen-000002/generation.json" in out and "embedded 0 new" in out
    assert read_manifest(s.index_dir).generation == 2


def test_current_manifest_deleted(pristine, cli, tmp_path) -> None:
    s = pristine.copy(tmp_path)
    (s.index_dir / NAME).unlink()
    out = repaired_and_identical(pristine, cli, s, str(s.index_dir / NAME))
    assert "embedded 0 new" in out


def test_previous_manifest_not_json(pristine, cli, tmp_path) -> None:
    s = pristine.copy(tmp_path)
    (s.index_dir / PREVIOUS).write_text("[]", encoding="utf-8")
    assert observe(s, pristine.tokenizer).answers == pristine.before.answers  # live one is fine
    repaired_and_identical(pristine, cli, s, str(s.index_dir / PREVIOUS))
    assert json.loads((s.index_dir / PREVIOUS).read_text(encoding="utf-8"))["generation"] == 1


def test_both_manifests_broken(pristine, cli, tmp_path) -> None:
    s = pristine.copy(tmp_path)
    (s.index_dir / NAME).write_text("not json", encoding="utf-8")
    (s.index_dir / PREVIOUS).unlink()
    code, _, err = cli(s, "ask", "--json", QUESTIONS[0])
    assert code == 2
    one_line_naming(err, str(s.index_dir / NAME))
    repaired_and_identical(pristine, cli, s, str(s.index_dir / NAME))


def test_no_readable_manifest_anywhere_is_rebuilt_from_the_corpus(pristine, cli, tmp_path) -> None:
    """Both manifests and every generation's own copy broken: `policyqa ingest` builds
    the index again from the corpus, with nobody deleting anything."""
    s = pristine.copy(tmp_path)
    for path in [s.index_dir / NAME, s.index_dir / PREVIOUS, *s.index_dir.glob(f"gen-*/{COPY}")]:
        path.write_text("{}", encoding="utf-8")
    code, _, err = cli(s, "ask", "--json", QUESTIONS[0])
    assert code == 2
    one_line_naming(err, str(s.index_dir / NAME))
    code, out, _ = cli(s, "status", "--verify")
    assert code == 1 and str(s.index_dir / NAME) in out and str(s.index_dir / PREVIOUS) in out
    code, out, err = cli(s, "ingest")
    assert code == 0 and "rebuilding from the corpus" in out, out + err
    assert cli(s, "status", "--verify")[0] == 0
    assert_same(s, pristine.tokenizer, pristine.before)
