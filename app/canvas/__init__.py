"""The design canvas: a scene that mirrors a ``Graph`` and a view that zooms, pans and accepts drops."""
