"""Reading tables and describing their columns.

Accepts CSV, Parquet and JSON Lines files, pandas and polars DataFrames and pyarrow
Tables; everything is converted once, at the boundary, to Arrow, and columns are
handed to the statistics as numpy arrays.

>>> import pyarrow as pa
>>> from modelsteward.data import open_table, infer_kind
>>> src = open_table(pa.table({"age": [31, 45, 27]}))
>>> infer_kind(src.column("age")).value
'numeric'
"""

from modelsteward.data._kinds import ColumnKind, infer_kind, parse_schema
from modelsteward.data._sources import TABLE_EXTENSIONS, TableSource, open_table
from modelsteward.data._values import (
    CategoryCounts,
    NumericValues,
    as_numpy,
    category_counts,
    float_values,
    from_numpy,
    numeric_values,
)

__all__ = [
    "TABLE_EXTENSIONS",
    "CategoryCounts",
    "ColumnKind",
    "NumericValues",
    "TableSource",
    "as_numpy",
    "category_counts",
    "float_values",
    "from_numpy",
    "infer_kind",
    "numeric_values",
    "open_table",
    "parse_schema",
]
