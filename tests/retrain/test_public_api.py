from __future__ import annotations

import modelsteward.retrain as retrain


def test_every_exported_name_exists_once() -> None:
    assert retrain.__all__
    for name in retrain.__all__:
        assert hasattr(retrain, name), name
    assert len(set(retrain.__all__)) == len(retrain.__all__)


def test_surface() -> None:
    expected = {
        "RetrainPolicy",
        "Signals",
        "Decision",
        "PolicyState",
        "SubprocessRunner",
        "InProcessRunner",
        "TrainingFailed",
        "build_training_data",
        "evaluate_candidate",
        "GateConfig",
        "GateResult",
        "RetrainLoop",
        "RetrainJob",
        "RunRecord",
        "CandidateRegistry",
        "AuditSink",
        "Clock",
        "InMemoryRegistry",
        "RegistryAdapter",
        "retrain_event",
        "WebhookSender",
        "parse_retrain_event",
    }
    assert expected <= set(retrain.__all__)


def test_importing_retrain_does_not_import_the_registry_or_web_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, modelsteward.retrain; "
        "bad = [m for m in ('modelsteward.registry', 'modelsteward.rollout', "
        "'modelsteward.server', 'sqlalchemy', 'fastapi', 'httpx') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
