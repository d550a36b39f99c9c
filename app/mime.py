"""MIME types of the data the application drags and copies."""

LAYER_MIME = "application/x-neurocanvas-layer"  # a layer type name, dragged from the library
DESIGN_MIME = "application/x-neurocanvas-design"  # a JSON design (copied layers and their links)
