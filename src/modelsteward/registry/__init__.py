"""The model registry: versions with artifact, flavor, input schema and lineage; aliases
(``champion``, ``challenger``, ``shadow``, custom) with the full history of who moved which
alias from which version to which, when and why; rollback of the champion; an import of
versions and aliases from an MLflow registry (:func:`import_mlflow`, ``modelsteward[mlflow]``).

Every registration, rejection, alias move and rollback is written to the audit log
(:mod:`modelsteward.governance.audit`) in the same transaction.
"""

from __future__ import annotations

from modelsteward.errors import require

require("sqlalchemy", "server", "The model registry")

from modelsteward.registry._artifacts import ArtifactStore, sha256_file  # noqa: E402
from modelsteward.registry._errors import (  # noqa: E402
    ArtifactError,
    MissingPackageError,
    SchemaMismatchError,
    UntrustedArtifactError,
)
from modelsteward.registry._flavors import FLAVORS, import_callable  # noqa: E402
from modelsteward.registry._lineage import (  # noqa: E402
    code_version,
    fingerprint_table,
    schema_diff,
)
from modelsteward.registry._mlflow import (  # noqa: E402
    AliasImport,
    MlflowImport,
    VersionImport,
    import_mlflow,
)
from modelsteward.registry._provider import RegistryModelProvider, predict_rows  # noqa: E402
from modelsteward.registry._registry import LoadedModel, Registry, default_actor  # noqa: E402
from modelsteward.store import ConflictError, NotFoundError  # noqa: E402
from modelsteward.store.registry import (  # noqa: E402
    ANY,
    STATUSES,
    AliasMove,
    ModelVersion,
    RegisteredModel,
    RegistryStateError,
)

__all__ = [
    "ANY",
    "FLAVORS",
    "STATUSES",
    "AliasImport",
    "AliasMove",
    "ArtifactError",
    "ArtifactStore",
    "ConflictError",
    "LoadedModel",
    "MissingPackageError",
    "MlflowImport",
    "ModelVersion",
    "NotFoundError",
    "RegisteredModel",
    "Registry",
    "RegistryModelProvider",
    "RegistryStateError",
    "SchemaMismatchError",
    "UntrustedArtifactError",
    "VersionImport",
    "code_version",
    "default_actor",
    "fingerprint_table",
    "import_callable",
    "import_mlflow",
    "predict_rows",
    "schema_diff",
    "sha256_file",
]
