"""``scripts/services/services.sh`` refuses a node count it cannot start,
naming the variable, before touching anything."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "services" / "services.sh"


@pytest.mark.parametrize("nodes", ["0", "2", "4", "three", ""])
def test_a_node_count_other_than_one_or_three_is_refused(tmp_path, nodes):
    result = subprocess.run(
        ["bash", str(SCRIPT), "status"],
        env=os.environ | {"KAFKA_NODES": nodes, "SERVICES_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    if nodes == "":  # empty: the default, one node
        assert "KAFKA_NODES" not in result.stderr
        return
    assert result.returncode == 1
    assert f"KAFKA_NODES must be 1 or 3, got '{nodes}'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing made
