"""Data layer: load and validate the Last.fm HetRec 2011 dataset (no UI, no torch)."""

from tunerec.data.dataset import SESSION_MIN_YEAR, Dataset
from tunerec.data.errors import DataError
from tunerec.data.loader import check_dataset, load_dataset

__all__ = ["Dataset", "DataError", "SESSION_MIN_YEAR", "check_dataset", "load_dataset"]
