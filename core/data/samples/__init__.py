"""Built-in sample data sets (generated offline with a seed, or read from ``data/`` beside this module) and their
starter networks: ``list_samples()``, ``load_sample(name, **params)``, ``starter(name)``."""

from core.data.samples import catalogue as _catalogue  # noqa: F401  (registers the samples)
from core.data.samples.registry import (CATEGORIES, SampleParam, SampleSpec, get_spec, list_samples, load_sample,
                                        sample_names)
from core.data.samples.starters import Starter, starter, train_starter

__all__ = ["CATEGORIES", "SampleParam", "SampleSpec", "Starter", "get_spec", "list_samples", "load_sample",
           "sample_names", "starter", "train_starter"]
