"""pytest: the Alembic scripts run only inside Alembic, so doctest collection skips them."""

collect_ignore_glob = ["migrations/*"]
