"""The training form's backend list is the backends' own descriptions (core.kernels.backends): every backend but
the reference oracle, by label, and a device backend that cannot run here is disabled with its reason."""

from app.training.settings_form import SettingsForm
from core.kernels import backends


def test_the_backend_list_comes_from_the_backends(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    offered = [b for b in backends() if not b.oracle]
    combo = form.backend
    assert [combo.itemData(i) for i in range(combo.count())] == [b.name for b in offered]
    assert [combo.itemText(i) for i in range(combo.count())] == [b.label for b in offered]
    device = [b for b in offered if not b.is_host]
    assert device, "the cuda backend is listed"

    def probed() -> bool:  # the background check has answered for every device backend
        return all(combo.itemData(combo.findData(b.name), 3) != "checking for a device…" for b in device)

    qtbot.waitUntil(probed, timeout=20000)
    for info in device:
        item = combo.model().item(combo.findData(info.name))
        assert item.isEnabled() == info.available
        if not info.available:
            assert combo.itemData(combo.findData(info.name), 3) == info.reason
    assert combo.currentData() == "cpu"
