"""Cut a trained NER model down to the labels the contract publishes: same weights, fewer moves.

The model starts from en_core_web_sm's recogniser and so knows its 18 OntoNotes labels, of which
the contract keeps six (`EntityLabel`); enrich dropped the rest after finding them. A
transition-based recogniser pays for every label at every token: each step checks which of its
moves are valid (4 per label, 74 in all) and scores them all. With only the contract's labels'
moves (26) the scores of the others are never computed, and the best move is chosen among those
left: measured on CoNLL-2003 valid and on 200 BBC articles, the contract's entities come out
exactly the same, in about 60% of the time (docs/ner-model.md).

How: the moves are rebuilt with the kept labels only, and the output layer keeps the rows of
those moves (by name), in the new order; the tok2vec and the hidden layer are untouched.
`train.py` does this to every model it installs.
"""

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import get_args

import spacy
from spacy.pipeline import EntityRecognizer

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "shared"))

from newswire.enriched import EntityLabel  # noqa: E402

CONTRACT_LABELS = frozenset(get_args(EntityLabel))


def keep_labels(source: Path, target: Path, labels: Iterable[str] = CONTRACT_LABELS) -> int:
    """Write to `target` the model at `source` with only `labels`' moves; the moves left."""
    kept = frozenset(labels)
    nlp = spacy.load(source)
    recogniser = nlp.get_pipe("ner")
    assert isinstance(recogniser, EntityRecognizer)
    old_moves = recogniser.moves
    old_names = [old_moves.get_class_name(i) for i in range(old_moves.n_moves)]
    # Per action, the labels it applies to with their training counts (order kept); the
    # label-less actions (O, and the empty U-) keep their entries.
    new_labels = {
        action: {label: count for label, count in by_label.items() if not label or label in kept}
        for action, by_label in old_moves.labels.items()
    }
    new_moves = type(old_moves)(nlp.vocab.strings, new_labels)
    new_names = [new_moves.get_class_name(i) for i in range(new_moves.n_moves)]
    rows = [old_names.index(name) for name in new_names]
    output_layer = recogniser.model.get_ref("upper")
    weights, biases = output_layer.get_param("W"), output_layer.get_param("b")
    # thinc refuses to change a dimension of a layer that has weights (set_dim): the layer's
    # width is rewritten together with weights of that width.
    output_layer._dims["nO"] = len(rows)
    output_layer.set_param("W", weights[rows].copy())
    output_layer.set_param("b", biases[rows].copy())
    nlp.to_disk(target)
    # The component wrote its old moves; the new ones replace them (the recogniser's `moves`
    # cannot be reassigned in memory).
    new_moves.to_disk(target / "ner" / "moves", exclude=["strings"])
    meta_path = target / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["labels"]["ner"] = sorted(kept)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    reloaded = spacy.load(target).get_pipe("ner")
    assert isinstance(reloaded, EntityRecognizer)
    assert set(reloaded.labels) == kept, reloaded.labels
    return len(rows)
