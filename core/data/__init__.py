"""Data for training: the Dataset object, built-in samples, loaders for the user's own files (one dispatch by
file type: :func:`load_file`), fitted preprocessing and per-batch image augmentation. GUI-free; used by the API,
the CLI and the GUI. The samples' starter networks are :mod:`core.starters`."""

from core.data.augment import Augmentation, augmented_batches, preview_grid
from core.data.dataset import TASKS, Dataset, NonFinite, Splits, first_non_finite, first_non_finite_row
from core.data.errors import DataError
from core.data.files import file_filter, load_file, supported_types
from core.data.hdf5 import hdf5_arrays, load_hdf5
from core.data.images import load_image_folder
from core.data.loaders import load_idx, load_npy, load_npz, read_idx
from core.data.preprocessing import (LabelEncoder, MinMaxScaler, Preprocessing, Standardizer, make_scaler,
                                     one_hot)
from core.data.samples import list_samples, load_sample, sample_names
from core.data.sources import H5Array, IndexedView, NpyFile
from core.data.tabular import load_csv

__all__ = ["TASKS", "Augmentation", "DataError", "Dataset", "H5Array", "IndexedView", "LabelEncoder",
           "MinMaxScaler", "NonFinite", "NpyFile", "Preprocessing", "Splits", "Standardizer", "augmented_batches",
           "file_filter", "first_non_finite", "first_non_finite_row", "hdf5_arrays", "list_samples", "load_csv",
           "load_file", "load_hdf5", "load_idx", "load_image_folder", "load_npy", "load_npz", "load_sample",
           "make_scaler", "one_hot", "preview_grid", "read_idx", "sample_names", "supported_types"]
