"""Recall and false refusals of the patient-identifier guard, per language, on the corpus.

Reads tests/identifiers/corpus.tsv (language, expected pass|refuse, sentence; written for the
project, fictitious people only) and, if it exists, tests/identifiers/heldout.tsv (the same
format: sentences written after the guard was tuned, never used to tune it). For each language it
prints

- recall: the share of identifying sentences ("refuse") that the guard refuses;
- false refusals: the share of clean sentences ("pass") that it refuses;
- the median and the worst time per sentence, in milliseconds (after one warm-up pass, so the
  name lists are loaded once, as in a running server);

then the same for all languages together, and every sentence the guard gets wrong with what it
found. The goals are recall of at least 0.95 and at most 5 % false refusals in every language.
Run from the repository root:

    .venv/bin/python bench/identifiers.py [--repeat 5]

The exit status is 0 whether or not the goals are met (this is a report); it is non-zero only
when a file cannot be read.
"""

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "identifiers" / "corpus.tsv"
HELDOUT = ROOT / "tests" / "identifiers" / "heldout.tsv"
GOAL_RECALL = 0.95
GOAL_FALSE_REFUSALS = 0.05


def read_corpus(path):
    """(language, expected, sentence) rows of a corpus file, header skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(lang, expected, sentence) for lang, expected, sentence in rows[1:]]


def measure(rows, find, repeat):
    """Per language: counts, timings and the sentences the guard got wrong."""
    results = {}
    for language, expected, sentence in rows:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            findings = find(sentence)
            times.append(time.perf_counter() - started)
        entry = results.setdefault(
            language, {"refuse": 0, "caught": 0, "pass": 0, "refused": 0, "ms": [], "wrong": []}
        )
        entry["ms"].append(statistics.median(times) * 1000)
        entry[expected] += 1
        if expected == "refuse" and findings:
            entry["caught"] += 1
        if expected == "pass" and findings:
            entry["refused"] += 1
        if bool(findings) != (expected == "refuse"):
            entry["wrong"].append((expected, sentence, [f.reason for f in findings]))
    return results


def report(title, results):
    print(title)
    header = f"{'language':<9}{'refuse':>7}{'recall':>8}{'pass':>6}{'false ref.':>11}"
    print(header + f"{'median ms':>11}{'max ms':>8}  goals")
    total = {"refuse": 0, "caught": 0, "pass": 0, "refused": 0, "ms": []}
    all_met = True
    for language in sorted(results):
        entry = results[language]
        for key in total:
            total[key] += entry[key]
        met = line(language, entry)
        all_met = all_met and met
    line("all", total)
    print(
        f"Goals (recall ≥ {GOAL_RECALL}, false refusals ≤ {GOAL_FALSE_REFUSALS:.0%}) in every "
        f"language: {'met' if all_met else 'NOT met'}"
    )
    wrong = [(lang, *item) for lang in sorted(results) for item in results[lang]["wrong"]]
    for language, expected, sentence, reasons in wrong:
        verdict = "missed" if expected == "refuse" else "refused"
        print(f"  {language} {verdict}: {sentence}")
        for reason in reasons:
            print(f"      {reason}")
    print()


def line(language, entry):
    recall = entry["caught"] / entry["refuse"] if entry["refuse"] else float("nan")
    false_rate = entry["refused"] / entry["pass"] if entry["pass"] else float("nan")
    met = recall >= GOAL_RECALL and false_rate <= GOAL_FALSE_REFUSALS
    print(
        f"{language:<9}{entry['refuse']:>7}{recall:>8.2f}{entry['pass']:>6}{false_rate:>10.1%} "
        f"{statistics.median(entry['ms']):>10.2f}{max(entry['ms']):>8.2f}  "
        f"{'met' if met else 'NOT met'}"
    )
    return met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per sentence")
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    from events.identifiers import find_identifiers

    corpus = read_corpus(CORPUS)
    started = time.perf_counter()
    for _, _, sentence in corpus:  # warm-up: loads the name lists and compiles the patterns
        find_identifiers(sentence)
    print(
        f"Warm-up (first pass over {len(corpus)} sentences): "
        f"{time.perf_counter() - started:.2f} s\n"
    )
    report(f"Corpus: {CORPUS.relative_to(ROOT)}", measure(corpus, find_identifiers, options.repeat))
    if HELDOUT.exists():
        heldout = read_corpus(HELDOUT)
        report(
            f"Held out (written after tuning): {HELDOUT.relative_to(ROOT)}",
            measure(heldout, find_identifiers, options.repeat),
        )


if __name__ == "__main__":
    main()
