"""Data: label spaces, the Dataset value, readers and writers, the benchmark dataset registry."""

from tagwise.data._dataset import Dataset
from tagwise.data._labels import LabelSpace
from tagwise.data._read import read, read_features
from tagwise.data._synthetic import make_multilabel, reference_problem

__all__ = ["Dataset", "LabelSpace", "make_multilabel", "read", "read_features", "reference_problem"]
