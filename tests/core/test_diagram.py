"""Pictures and text exports: SVG and PNG diagrams, history CSV, Markdown and text summaries."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from core.errors import NeuroCanvasError
from core.io.diagram import BOX_H, diagram_svg, layout, write_png
from core.io.exports import export, formats, history_csv, summary_markdown
from tests.core import export_templates as tpl

SVG = "{http://www.w3.org/2000/svg}"


def test_layout_puts_every_layer_below_its_sources():
    graph = tpl.TEMPLATES["resnet"]()
    boxes, links, (width, height) = layout(graph)
    assert len(boxes) == len(graph) and len(links) == len(graph.links)
    for source, target in links:
        assert boxes[target].y >= boxes[source].y + BOX_H
    add = graph.id_of("r1add")
    assert boxes[add].y > boxes[graph.id_of("r1b")].y > boxes[graph.id_of("stem")].y
    assert all(0 <= b.x and b.x + 200 <= width and b.y + BOX_H <= height for b in boxes.values())


def test_svg_shows_every_layer_with_its_shape_and_every_link():
    m = tpl.model("lenet")
    root = ET.fromstring(diagram_svg(m.graph, "lenet"))
    groups = root.findall(f"{SVG}g")
    assert len(groups) == len(m.graph)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "conv2d" in texts and "Conv2D" in texts and "(None, 28, 28, 6)" in texts
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "link"]) == len(m.graph.links)


def test_svg_escapes_names():
    from core.api import Sequential
    from core.layers.core import Dense, InputLayer
    m = Sequential([InputLayer(shape=(2,)), Dense(1, name="a<b&c")])
    root = ET.fromstring(diagram_svg(m.graph, "x & y"))
    assert "a<b&c" in ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_png_is_drawn_at_twice_the_layout_size(tmp_path):
    from PIL import Image
    graph = tpl.TEMPLATES["gru"]()
    write_png(graph, tmp_path / "gru.png")
    _, _, (width, height) = layout(graph)
    with Image.open(tmp_path / "gru.png") as image:
        assert image.format == "PNG" and image.size == (2 * width, 2 * height)
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10  # boxes, text and links, not a blank page


def _trained_perceptron():
    m = tpl.model("perceptron")
    m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    m.fit(x, (x[:, :1] > 0).astype(np.float32), epochs=3, batch_size=8, verbose=0, validation_split=0.25)
    return m


def test_history_csv_has_a_row_per_epoch_and_a_column_per_metric():
    m = _trained_perceptron()
    rows = list(csv.reader(io.StringIO(history_csv(m.history))))
    assert rows[0][:1] == ["epoch"] and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    column = rows[0].index("loss")
    assert [float(r[column]) for r in rows[1:]] == pytest.approx(m.history.history["loss"])
    with pytest.raises(NeuroCanvasError, match="train it first"):
        history_csv(None)


def test_summary_markdown_lists_layers_and_totals():
    m = tpl.model("resnet")
    text = summary_markdown(m.graph, "resnet")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == len(m.graph) + 1
    assert "| r1add | Add | `(None, 16, 16, 8)` | 0 | r1b, stem |" in text
    assert f"**Total parameters:** {m.count_params():,}" in text


@pytest.mark.parametrize("fmt", [f for f in formats() if f != "onnx"])
def test_every_export_writes_its_file(fmt, tmp_path):
    m = _trained_perceptron()
    path = export(m, tmp_path / f"out{formats()[fmt][0]}", fmt)
    assert path.stat().st_size > 50
