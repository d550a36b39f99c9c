"""The starter designs of core.templates: every one builds, and every one made for a sample trains on it with the
loss core.tasks suggests (the gallery's promise that it fits)."""

from __future__ import annotations

import pytest

from core import tasks, templates
from core.data import load_sample, sample_names
from core.shapes import check_buildable


@pytest.mark.parametrize("template", templates.TEMPLATES, ids=lambda t: t.key)
def test_every_template_builds(template):
    graph = template.graph()
    assert len(graph) == len(template.design()["layers"]) and not template.missing_types()
    check_buildable(graph)
    assert all("pos" in graph.meta(i) for i in graph.layer_ids)  # laid out for the canvas


@pytest.mark.parametrize("template", [t for t in templates.TEMPLATES if t.sample], ids=lambda t: t.key)
def test_sample_templates_fit_their_sample(template):
    assert template.sample in sample_names()
    graph, data = template.graph(), load_sample(template.sample)
    loss = tasks.suggest_loss(tasks.network_io(graph), data.task)
    assert tasks.problems(graph, data, loss) == []


def test_keys_are_unique_and_found():
    keys = [t.key for t in templates.TEMPLATES]
    assert len(keys) == len(set(keys)) and templates.get("lenet").title == "LeNet-style CNN"
    with pytest.raises(KeyError):
        templates.get("nothing")
