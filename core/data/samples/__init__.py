"""Built-in sample data sets (generated offline with a seed, or read from ``data/`` beside this module):
``list_samples()``, ``load_sample(name, **params)``. Their starter networks are :mod:`core.starters`."""

from core.data.samples import catalogue as _catalogue  # noqa: F401  (registers the samples)
from core.data.samples.registry import (CATEGORIES, SampleParam, SampleSpec, get_spec, list_samples, load_sample,
                                        sample_names)

__all__ = ["CATEGORIES", "SampleParam", "SampleSpec", "get_spec", "list_samples", "load_sample", "sample_names"]
