"""Measured figures of the reliability tests, one JSON file per test under
test-artifacts/reliability/, for the report (kills survived, requests served, …)."""

from __future__ import annotations

import json

from tests.conftest import ARTIFACTS


def record(name: str, **figures: object) -> None:
    folder = ARTIFACTS / "reliability"
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    (folder / f"{name}.json").write_text(text + "\n", encoding="utf-8")
