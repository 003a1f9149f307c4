"""Benchmark: understanding a message, suggesting a field, training a commune's model.

    python -m bench.understanding [--examples 10000] [--rounds 5]

1. Time to understand one message, over the hand-written corpora (p50, p95, max), against a
   baseline measured in the same run: `str.lower()` and a dict lookup, the least any
   reading of a message costs. Targets: p95 < 2 ms.
2. Time to suggest a field with the lexicon alone and with a large trained model.
3. Time to train on N staff classifications (default 10,000, target < 10 s), generated for
   the bench only by perturbing the field corpus (typos, accents dropped, teencode, word
   order), against the time to merely normalise the same texts.
4. Resident memory and imports of the runtime path (understand + suggest with a stored
   model) and of the training path, each in a fresh interpreter, against a bare one. The
   runtime path must not load scikit-learn, numpy or scipy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from handlers.understanding import normalise, understand
from handlers.understanding.fields import suggest_field
from handlers.understanding.model import FieldModel, train_field_model
from storage.folding import fold

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def messages() -> list[str]:
    texts = [row[3] for row in _rows("understanding_corpus.tsv")]
    texts += [row[3] for row in _rows("understanding_heldout.tsv")]
    texts += [row[1] for row in _rows("understanding_fields.tsv")]
    return texts


def field_pairs() -> list[tuple[str, str]]:
    return [(row[1], row[0]) for row in _rows("understanding_fields.tsv")]


# --- perturbing petitions into many staff classifications (bench only) ---------------------

_TEENCODE = {"không": "ko", "được": "dc", "gì": "j", "biết": "bít", "tôi": "tui", "vậy": "z",
             "rồi": "r", "quá": "wa", "với": "vs", "người": "ng", "đường": "đg"}


def perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    if rng.random() < 0.5:
        words = [fold(w) if rng.random() < 0.8 else w for w in words]
    if rng.random() < 0.5:
        words = [_TEENCODE.get(w.lower(), w) for w in words]
    if rng.random() < 0.6 and words:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 3:
            j = rng.randrange(len(word) - 1)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # swap two letters
    if rng.random() < 0.4 and len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    if rng.random() < 0.3:
        words = words[: max(3, len(words) - rng.randrange(4))]
    return " ".join(words)


def staff_classifications(count: int, seed: int = 2026) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = field_pairs()
    return [(perturb(text, rng), field) for text, field in
            (pairs[rng.randrange(len(pairs))] for _ in range(count))]


# --- timing ---------------------------------------------------------------------------------


def per_call_ms(function: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            function(text)
            times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def quantiles(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return p50, p95, ordered[-1]


def report(name: str, times: list[float], baseline: list[float] | None = None) -> None:
    p50, p95, worst = quantiles(times)
    line = f"{name:<34} p50 {p50:7.3f} ms  p95 {p95:7.3f} ms  max {worst:7.2f} ms"
    if baseline is not None:
        b50, b95, _ = quantiles(baseline)
        line += f"   ×{p50 / b50:,.0f} / ×{p95 / b95:,.0f} the baseline"
    print(line)


KEYWORDS = {"huy": "cancel", "tro giup": "help", "menu": "menu", "co": "yes", "khong": "no"}


def baseline(text: str) -> object:
    return KEYWORDS.get(text.lower())


# --- memory, in fresh interpreters -----------------------------------------------------------

_PROBE = """
import json, sys
from pathlib import Path
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss()
{body}
heavy = sorted(m for m in ("sklearn", "numpy", "scipy") if m in sys.modules)
print(json.dumps({{"before": before, "after": rss(), "heavy": heavy}}))
"""
_BARE = "pass"
_RUNTIME = """
from handlers.understanding import understand
from handlers.understanding.fields import suggest_field
from handlers.understanding.model import FieldModel
model = FieldModel.from_json(Path(sys.argv[1]).read_bytes())
understand("chào cháu, bà muốn hỏi tiền hỗ trợ hộ nghèo")
suggest_field("Đèn đường ấp Tân Hậu bị hư 2 tháng nay", model)
"""
_TRAINING = """
from handlers.understanding.model import train_field_model
train_field_model([("đèn đường hư", "power"), ("đường lầy lội", "transport")] * 5)
"""


def probe(body: str, model_path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(body=body), str(model_path)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    texts = messages()
    understand("warm up: the phrase table is built on first use")
    print(f"understanding {len(texts)} messages × {args.rounds} rounds")
    base = per_call_ms(baseline, texts, args.rounds)
    report("baseline: lower() + dict lookup", base)
    report("understand()", per_call_ms(understand, texts, args.rounds), base)
    report("normalise()", per_call_ms(normalise, texts, args.rounds), base)
    report("suggest_field(), lexicon", per_call_ms(suggest_field, texts, args.rounds), base)

    examples = staff_classifications(args.examples)
    start = time.perf_counter()
    for text, _ in examples:
        normalise(text)
    normalising = time.perf_counter() - start
    train_field_model(examples[:50])  # scikit-learn's imports, paid once per training process
    start, cpu = time.perf_counter(), time.process_time()
    model = train_field_model(examples)
    training, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU seconds too: on a shared, busy machine the wall time measures the neighbours.
    print(f"\ntraining on {len(examples):,} staff classifications: {training:.2f} s "
          f"({cpu:.2f} CPU-s; normalising them alone: {normalising:.2f} s, "
          f"×{training / normalising:.1f}); target < 10 s")
    data = model.to_json()
    print(f"model: {len(model.vocabulary):,} n-grams × {len(model.classes)} fields, "
          f"JSON {len(data) / 1024:,.0f} KiB")
    start = time.perf_counter()
    FieldModel.from_json(data)
    print(f"loading the model from JSON: {(time.perf_counter() - start) * 1000:.0f} ms")
    with_model = per_call_ms(lambda text: suggest_field(text, model), texts, 1)
    report("suggest_field(), with that model", with_model, base)

    path = Path(sys.argv[0]).resolve().parent / ".understanding-model.json"
    path.write_bytes(data)
    try:
        bare = probe(_BARE, path)
        runtime = probe(_RUNTIME, path)
        trainer = probe(_TRAINING, path)
    finally:
        path.unlink()
    print("\nresident memory in a fresh interpreter (MB):")
    for name, result in (("bare interpreter", bare), ("runtime: understand + model", runtime),
                         ("training path", trainer)):
        after = float(str(result["after"]))
        print(f"  {name:<30} {after:6.1f}  (+{after - float(str(bare['after'])):5.1f} over "
              f"bare)  heavy modules loaded: {result['heavy'] or 'none'}")


if __name__ == "__main__":
    main()
