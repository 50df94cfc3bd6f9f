"""Train Newswire's NER model and put it where enrich loads it from.

1. `prepare.py` makes the training data (CoNLL-2003 train and valid with the contract's labels,
   and a rehearsal set of BBC articles for NORP and EVENT) unless it is there already;
2. spaCy trains `config.cfg` (fixed seed, a fixed number of steps) on 2 CPU cores; CoNLL valid
   is only watched, never used to choose a model: the model of the last step is the one kept;
3. that model is cut down to the contract's labels (`prune.py`: same weights, fewer moves,
   faster) and written, with its name and version, to
   `services/enrich/newswire_enrich/ner_model/`, which enrich loads by default
   (`NEWSWIRE_ENRICH_SPACY_MODEL=newswire-ner`) and the package ships.

    python training/ner/train.py [--shared ../shared] [--steps N]
    python training/ner/train.py --reinstall DIR     # step 3 only, for a model trained before

Figures: `python benchmarks/ner_quality.py` (quality on CoNLL valid) and
`benchmarks/enrich_throughput.py` (speed); the model card is docs/ner-model.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from training.ner.prune import keep_labels  # noqa: E402

MODEL_DIR = REPO / "services" / "enrich" / "newswire_enrich" / "ner_model"
MODEL_NAME = "newswire_ner"
MODEL_VERSION = "1.1.0"
THREADS = "2"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (default ../shared)")
    parser.add_argument("--steps", type=int, help="training steps (default: the config's)")
    parser.add_argument("--output", type=Path, default=HERE / "output")
    parser.add_argument("--reinstall", type=Path, metavar="DIR", help="no training: install DIR")
    args = parser.parse_args()
    if args.reinstall:
        install(args.reinstall)
        return 0
    corpus = HERE / "corpus"
    if not (corpus / "valid.spacy").is_file():
        prepare = [sys.executable, str(HERE / "prepare.py"), "--out", str(corpus)]
        if args.shared:
            prepare += ["--shared", str(args.shared)]
        subprocess.run(prepare, check=True)
    overrides = [f"--paths.train={corpus / 'train'}", f"--paths.dev={corpus / 'valid.spacy'}"]
    if args.steps:
        overrides.append(f"--training.max_steps={args.steps}")
    env = {**os.environ, "OMP_NUM_THREADS": THREADS, "OPENBLAS_NUM_THREADS": THREADS}
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "train",
            str(HERE / "config.cfg"),
            "--output",
            str(args.output),
            "--gpu-id",
            "-1",
            *overrides,
        ],
        check=True,
        env=env,
    )
    print(f"trained in {time.monotonic() - started:.0f} s")
    install(args.output / "model-last")
    return 0


def install(trained: Path) -> None:
    """The trained model, cut down to the contract's labels, into the enrich package, named and
    versioned (`trained` may be the installed model itself)."""
    with tempfile.TemporaryDirectory() as scratch:
        pruned = Path(scratch) / "model"
        moves = keep_labels(trained, pruned)
        meta_path = pruned / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta.update(
            {
                "name": MODEL_NAME,
                "version": MODEL_VERSION,
                "description": "Newswire's news NER: en_core_web_sm's entity recogniser "
                "fine-tuned on CoNLL-2003 train with the contract's labels, and only those "
                "(docs/ner-model.md)",
                "license": "see docs/ner-model.md",
            }
        )
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        shutil.rmtree(MODEL_DIR, ignore_errors=True)
        shutil.copytree(pruned, MODEL_DIR)
    size = sum(path.stat().st_size for path in MODEL_DIR.rglob("*") if path.is_file())
    print(
        f"installed {MODEL_NAME}-{MODEL_VERSION} in {MODEL_DIR} ({size / 2**20:.1f} MiB, "
        f"{moves} moves)"
    )


if __name__ == "__main__":
    sys.exit(main())
