"""Three brokers (``KAFKA_NODES=3`` of ``scripts/services/services.sh``, on
ports of their own), the platform's topics with three replicas and two in
sync: one broker killed under load loses nothing, stores nothing twice,
routes every transaction once, and detection goes on."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from tests.conftest import KafkaHelper, fresh_kafka_topics
from tests.streaming.detector_process import ROOT, DetectorProcess
from tests.streaming.outages import (
    SteadyProducer,
    assert_exactly_once,
    report,
    stored_count,
    wait_until,
    wait_until_all_committed,
)
from tests.streaming.output_topics import routed_counts
from transactions_app.connections import kafka_connection

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

SERVICES = ["bash", str(ROOT / "scripts/services/services.sh")]
CLUSTER_DIR = ROOT / ".services" / "cluster"
# 1,000 above the single broker's ports (a checkout beside this one with
# other ports gets its own cluster's too); node n listens on each + 100 *
# (n - 1): 10092, 10192 and 10292 by default.
SHIFT = 1000
PORTS = {
    name: int(os.environ.get(name, default)) + SHIFT
    for name, default in (
        ("KAFKA_PORT", 9092),
        ("KAFKA_CONTROLLER_PORT", 9093),
        ("KAFKA_SASL_PORT", 9094),
    )
}
RATE = 300  # transactions a second


class Cluster:
    """The three nodes: their bootstrap list, and one killed or started."""

    env = os.environ | {
        "SERVICES_DIR": str(CLUSTER_DIR),
        "KAFKA_NODES": "3",
        **{name: str(port) for name, port in PORTS.items()},
    }
    bootstrap = ",".join(f"127.0.0.1:{PORTS['KAFKA_PORT'] + 100 * n}" for n in range(3))

    def services(self, action: str) -> None:
        subprocess.run(
            [*SERVICES, action, "kafka"], env=self.env, check=True, capture_output=True
        )

    def kill(self, node: int) -> None:
        """SIGKILL, as a machine that dies: no controlled shutdown."""
        pid_file = CLUSTER_DIR / "kafka" / ("" if node == 1 else f"node-{node}")
        pid = int(Path(pid_file, "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster():
    shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
    nodes = Cluster()
    nodes.services("start")
    yield nodes
    nodes.services("stop")
    shutil.rmtree(CLUSTER_DIR, ignore_errors=True)


@pytest.fixture
def on_cluster(settings, cluster):
    """This test's settings pointed at the cluster, with three replicas and
    two in sync, and fresh topics made there."""
    settings.KAFKA_BOOTSTRAP_SERVERS = cluster.bootstrap
    settings.KAFKA_REPLICATION_FACTOR = 3
    settings.KAFKA_MIN_INSYNC_REPLICAS = 2
    return fresh_kafka_topics(settings)


def leader_of_first_partition(topic: str) -> int:
    admin = AdminClient(kafka_connection().config())
    return admin.list_topics(topic, timeout=10).topics[topic].partitions[0].leader


def test_the_topics_are_replicated_three_times_two_in_sync(on_cluster):
    admin = AdminClient(kafka_connection().config())
    metadata = admin.list_topics(on_cluster.transactions, timeout=10)
    partitions = metadata.topics[on_cluster.transactions].partitions.values()
    assert {len(p.replicas) for p in partitions} == {3}
    resource = ConfigResource(ConfigResource.Type.TOPIC, on_cluster.transactions)
    configs = admin.describe_configs([resource])[resource].result()
    assert configs["min.insync.replicas"].value == "2"


def test_a_broker_killed_under_load_loses_nothing(
    settings, cluster, on_cluster, group_id, capsys
):
    """A steady producer (idempotent, acks=all) and a detector; the leader
    of the input topic's first partition is killed, and started again
    later. Every transaction is stored once and routed once."""
    kafka = KafkaHelper(kafka_connection())
    idempotent = SimpleNamespace(config=kafka.config | {"enable.idempotence": True})
    topic = on_cluster.transactions
    detector = DetectorProcess(
        settings,
        "--group-id",
        group_id,
        KAFKA_BOOTSTRAP_SERVERS=cluster.bootstrap,
        KAFKA_REPLICATION_FACTOR="3",
    )
    producer = SteadyProducer(idempotent, topic, RATE)
    victim = leader_of_first_partition(topic)
    try:
        producer.start()
        wait_until(lambda: stored_count() >= RATE, 120, "the first rows")
        at_kill = stored_count()
        cluster.kill(victim)
        killed = time.monotonic()
        wait_until(lambda: stored_count() >= at_kill + RATE, 120, "detection again")
        back = time.monotonic() - killed
        wait_until(lambda: stored_count() >= at_kill + 3 * RATE, 120, "more rows")
        sent = producer.stop()
        cluster.services("start")  # the killed node comes back
        wait_until_all_committed(kafka, group_id, topic, detector)
        assert detector.terminate() == 0, detector.output
    finally:
        if producer.is_alive():
            producer.stop()
        detector.stop()
        cluster.services("start")
    assert_exactly_once(sent)
    routed = routed_counts(kafka.config, on_cluster)
    assert set(routed.values()) == {1}
    assert set(routed) == {m["transaction_id"] for m in sent}
    report(
        capsys,
        f"broker {victim} of 3 killed at {at_kill} stored; {RATE} more stored "
        f"{back:.1f} s later; {len(sent)} sent, each stored and routed once",
    )
