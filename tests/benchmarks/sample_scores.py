"""Train every sample's starter network on a seeded split and print the scores as a Markdown table (run by hand;
the table goes into ``samples/README.md``).

    .venv/bin/python -m tests.benchmarks.sample_scores [name ...]
"""

from __future__ import annotations

import sys

from core.data.samples import sample_names
from core.starters import starter, train_starter


def _network(name: str) -> str:
    recipe = starter(name)
    layers = [recipe.graph.layer(i) for i in recipe.graph.topological_order()][1:]
    parts = []
    for layer in layers:
        cfg = layer.config
        size = cfg.get("units", cfg.get("filters", ""))
        act = cfg.get("activation")
        parts.append(f"{layer.type_name}{f' {size}' if size != '' else ''}{f' {act}' if act else ''}")
    return " → ".join(parts)


def main() -> None:
    names = sys.argv[1:] or sample_names()
    print("| sample | starter network | optimiser, epochs, batch | test score | train time |")
    print("|---|---|---|---|---|")
    for name in names:
        recipe = starter(name)
        r = train_starter(name, seed=0)
        scaling = f", {recipe.scaling} scaling" if recipe.scaling else ""
        print(f"| `{name}` | {_network(name)} | {recipe.optimizer} {recipe.learning_rate:g}, {recipe.epochs}, "
              f"{recipe.batch_size}{scaling} | {r['metric']} {r['score']:.3f} | {r['seconds']:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
