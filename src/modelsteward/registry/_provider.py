"""Serving registered versions: rows of features in, one prediction per row out.

:class:`RegistryModelProvider` is the rollout gateway's ``ModelProvider``
(``get(alias_or_version) -> PredictFn``) on the registry, so the gateway serves whatever
``champion``, ``shadow`` or ``challenger`` points to, without importing the registry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelsteward.errors import SchemaError
from modelsteward.registry._onnx import onnx_input_schema
from modelsteward.store.audit import jsonable

if TYPE_CHECKING:
    from modelsteward.registry._registry import LoadedModel, Registry

__all__ = ["RegistryModelProvider", "predict_rows"]


def _columns(loaded: LoadedModel, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    schema = loaded.version.input_schema
    if schema:
        return list(schema)
    names = getattr(loaded.model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    if loaded.version.flavor == "onnx":
        per_column = onnx_input_schema(loaded.model)
        if per_column is not None:
            return list(per_column)
    keys = list(rows[0]) if rows else []
    if len(keys) > 1:  # the order of the keys is the caller's, not necessarily the model's
        version = loaded.version
        raise SchemaError(
            f"version {version.version} of {version.model} has no input schema and its model "
            "names no columns, so the order in which it takes its features is unknown; "
            "register it with an input schema (input_schema=[...], --schema)"
        )
    return keys


def predict_rows(loaded: LoadedModel, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Predict a batch of feature mappings with a loaded version; plain Python values out.

    A ``callable`` version gets the rows as they are. Other flavors get a table with the
    columns of the version's input schema, in its order (an ONNX model ``{column: values}``,
    cast to the types its graph declares); a row without one of them is a
    :class:`~modelsteward.errors.SchemaError` naming the row and the column. A version with
    several features but neither an input schema nor column names in its model is refused
    (a :class:`~modelsteward.errors.SchemaError`): feeding the features in the order the
    request happened to list them would answer wrongly without a sign.
    """
    if loaded.version.flavor == "callable":
        return list(jsonable(list(loaded.model(list(rows)))))
    if not rows:
        return []
    columns = _columns(loaded, rows)
    for i, row in enumerate(rows):
        missing = [c for c in columns if c not in row]
        if missing:
            raise SchemaError(
                f"row {i} lacks the feature(s) {', '.join(missing)} that version "
                f"{loaded.version.version} of {loaded.version.model} needs"
            )
    data: Any
    if loaded.version.flavor == "onnx":  # cast per input by the graph's declared types
        data = {c: [row[c] for row in rows] for c in columns}
    elif (
        loaded.version.flavor == "sklearn"
        and getattr(loaded.model, "feature_names_in_", None) is not None
    ):
        import pandas as pd

        data = pd.DataFrame([{c: row[c] for c in columns} for row in rows], columns=columns)
    else:
        import numpy as np

        data = np.array([[row[c] for c in columns] for row in rows], dtype=float)
    out = loaded.predict(data)
    tolist = getattr(out, "tolist", None)
    return list(jsonable(tolist() if callable(tolist) else list(out)))


class RegistryModelProvider:
    """Resolve ``champion``/``shadow``/... or a version label of one model to a predict function.

    Loaded versions are cached; alias targets are re-read at most every ``alias_ttl``
    seconds, so a promotion or rollback reaches the gateway within that time.

    >>> import tempfile
    >>> from modelsteward.registry import Registry
    >>> from modelsteward.store import Store
    >>> home = tempfile.mkdtemp()
    >>> store = Store(f"sqlite:///{home}/db.sqlite"); store.upgrade()
    >>> registry = Registry(store, artifacts=f"{home}/artifacts")
    >>> _ = registry.register("r", "builtins:list", flavor="callable")
    >>> _ = registry.promote("r", "1", reason="only one")
    >>> provider = RegistryModelProvider(registry, "r")
    >>> provider.resolve("champion"), provider.get("champion")([{"x": 1}, {"x": 2}])
    ('1', [{'x': 1}, {'x': 2}])
    """

    def __init__(
        self,
        registry: Registry,
        model: str,
        *,
        trust: bool = False,
        alias_ttl: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.model = model
        self.trust = trust
        self.alias_ttl = alias_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._aliases: tuple[float, dict[str, str]] | None = None
        self._loaded: dict[str, LoadedModel] = {}

    def resolve(self, alias_or_version: str) -> str:
        """The version an alias points to now (a version label resolves to itself)."""
        now = self._clock()
        with self._lock:
            cached = self._aliases
        if cached is None or now - cached[0] > self.alias_ttl:
            cached = (now, self.registry.aliases(self.model))
            with self._lock:
                self._aliases = cached
        return cached[1].get(alias_or_version, alias_or_version)

    def load(self, alias_or_version: str) -> LoadedModel:
        version = self.resolve(alias_or_version)
        with self._lock:
            found = self._loaded.get(version)
        if found is None:
            found = self.registry.load(self.model, version, trust=self.trust)
            with self._lock:
                self._loaded[version] = found
        return found

    def get(self, alias_or_version: str) -> Callable[[list[Mapping[str, Any]]], list[Any]]:
        loaded = self.load(alias_or_version)
        return lambda rows: predict_rows(loaded, rows)
