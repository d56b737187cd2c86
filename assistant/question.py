"""A question as the user typed it: checked, trimmed, and its conversation made safe."""

from __future__ import annotations

import re

EMPTY = "请输入一个问题，例如：成渝新能源汽车本地配套率是多少？"
NOTHING_TO_SEARCH = "问题中没有可检索的内容，请换个说法。"


def validate(question: object, limit: int) -> tuple[str, str | None]:
    """(question text, notice): blanks and control characters collapse to one
    space, lone surrogates are replaced, and an over-long question is cut."""
    if question is None:
        return "", "问题为空。"
    text = str(question)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    stripped = re.sub(r"[\s\x00-\x1f\x7f]+", " ", text).strip()
    if not stripped:
        return "", "问题为空，请输入问题。"
    if len(stripped) > limit:
        return stripped[:limit], f"问题过长（{len(stripped)} 字），只使用了前 {limit} 字。"
    return stripped, None


def conversation(history: object, limit: int) -> list[dict]:
    """Earlier turns as the follow-up resolver needs them: dicts whose content passed
    `validate`, so a huge, malformed or None turn can neither crash a follow-up nor
    lift the length limit."""
    turns = []
    for turn in history if isinstance(history, (list, tuple)) else ():
        if isinstance(turn, dict):
            content, _ = validate(turn.get("content"), limit)
            turns.append({"role": turn.get("role"), "content": content})
    return turns
