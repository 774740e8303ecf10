"""Data: label spaces, the Dataset value, readers and writers, the benchmark dataset registry."""

from tagwise.data._arff import read_arff, read_arff_features
from tagwise.data._batches import iter_batches
from tagwise.data._dataset import Dataset
from tagwise.data._fetch import ChecksumError, fetch, load_dataset
from tagwise.data._labels import LabelSpace
from tagwise.data._libsvm import read_libsvm, write_libsvm
from tagwise.data._memory import as_dataset
from tagwise.data._read import read, read_features
from tagwise.data._registry import REGISTRY, data_home
from tagwise.data._synthetic import make_multilabel, reference_problem
from tagwise.data._tabular import read_tabular
from tagwise.data._write import write_predictions

__all__ = [
    "REGISTRY",
    "ChecksumError",
    "Dataset",
    "LabelSpace",
    "as_dataset",
    "data_home",
    "fetch",
    "iter_batches",
    "load_dataset",
    "make_multilabel",
    "read",
    "read_arff",
    "read_arff_features",
    "read_features",
    "read_libsvm",
    "read_tabular",
    "reference_problem",
    "write_libsvm",
    "write_predictions",
]
