"""CoNLL-2003 files as documents: each document's text rebuilt from its tokens (joined by spaces,
one sentence per line) and its gold entities as (type, start, end) character spans.

The NER benchmark reads the validation split with it, and the NER training reads the training
split, so both see the very same text.
"""

from dataclasses import dataclass
from pathlib import Path

Span = tuple[str, int, int]  # CoNLL type, start and end character offsets


@dataclass(frozen=True)
class Document:
    text: str
    gold: set[Span]


def read_conll(path: Path) -> list[Document]:
    documents: list[Document] = []
    sentences: list[list[tuple[str, str]]] = [[]]
    for line in [*path.read_text(encoding="ascii").splitlines(), "-DOCSTART- -X- O O"]:
        if line.startswith("-DOCSTART-"):
            if any(sentences):
                documents.append(_document([s for s in sentences if s]))
            sentences = [[]]
        elif not line.strip():
            sentences.append([])
        else:
            token, *_, tag = line.split()
            sentences[-1].append((token, tag))
    return documents


def _document(sentences: list[list[tuple[str, str]]]) -> Document:
    text_parts: list[str] = []
    gold: set[Span] = set()
    offset = 0
    for sentence in sentences:
        current: tuple[str, int, int] | None = None
        for index, (token, tag) in enumerate(sentence):
            start = offset + sum(len(t) + 1 for t, _ in sentence[:index])
            end = start + len(token)
            kind = tag[2:] if tag != "O" else None
            # IOB1: I-X continues an entity of type X; B-X starts a new one right after another.
            if current and (kind != current[0] or tag.startswith("B-")):
                gold.add(current)
                current = None
            if kind:
                current = (kind, current[1], end) if current else (kind, start, end)
        if current:
            gold.add(current)
        line = " ".join(token for token, _ in sentence)
        text_parts.append(line)
        offset += len(line) + 1
    return Document("\n".join(text_parts), gold)
