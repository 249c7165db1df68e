# A pytest suite driving minikafka from Python: a fixture starts `npx minikafka --http-port 0`
# (three brokers), the test crashes a partition's leader over the HTTP control plane and checks
# that a confluent_kafka (librdkafka) consumer group keeps consuming from the new leader.
#
#   pip install confluent-kafka pytest     (or Debian: apt-get install python3-confluent-kafka python3-pytest)
#   pytest examples/pytest/                (MINIKAFKA="node bin/minikafka.js" to use a checkout)
#
# It also runs without pytest: python3 examples/pytest/test_minikafka_failover.py
import json
import os
import shlex
import subprocess
import time
import urllib.request
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

try:
    import pytest

    fixture = pytest.fixture
except ImportError:  # run as a plain script
    def fixture(f):
        return f


def _minikafka():
    """A 3-broker minikafka: yields (bootstrap servers, HTTP control plane URL)."""
    cmd = shlex.split(os.environ.get("MINIKAFKA", "npx minikafka")) + [
        "--brokers", "3", "--port", "0", "--http-port", "0", "--in-memory",
        "--config", "group.initial.rebalance.delay.ms=0",
        "--config", "broker.session.timeout.ms=2000",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline()  # "minikafka ready bootstrap=H:P,... http=H:P"
        assert ready.startswith("minikafka ready"), ready
        fields = dict(f.split("=", 1) for f in ready.split()[2:])
        yield fields["bootstrap"], "http://" + fields["http"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


minikafka = fixture(_minikafka)


def api(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def partition_state(base, topic, partition):
    cluster = api(base, "GET", "/cluster")
    return next(t for t in cluster["topics"] if t["name"] == topic)["partitions"][partition]


def consume(consumer, count, timeout_s=60):
    values = []
    deadline = time.time() + timeout_s
    while len(values) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            values.append(msg.value().decode())
    return values


def test_consumer_recovers_when_the_leader_crashes(minikafka):
    bootstrap, base = minikafka
    topic = "orders-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3)])[topic].result(30)

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for i in range(10):
        producer.produce(topic, value=f"before-{i}")
    assert producer.flush(30) == 0

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "billing",
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
    })
    consumer.subscribe([topic])
    assert consume(consumer, 10) == [f"before-{i}" for i in range(10)]

    # Crash the partition's leader (sockets cut, nothing flushed) through the HTTP control plane.
    leader = partition_state(base, topic, 0)["leader"]
    api(base, "POST", f"/brokers/{leader}/stop", {"crash": True})
    deadline = time.time() + 30
    while True:
        state = partition_state(base, topic, 0)
        if state["leader"] not in (leader, -1):
            break
        assert time.time() < deadline, "no new leader"
        time.sleep(0.1)
    assert leader not in state["isr"]

    # The producer and the consumer find the new leader by themselves.
    for i in range(10):
        producer.produce(topic, value=f"after-{i}")
    assert producer.flush(60) == 0
    assert consume(consumer, 10) == [f"after-{i}" for i in range(10)]
    consumer.close()

    groups = api(base, "GET", "/groups")
    assert [g["groupId"] for g in groups] == ["billing"]


if __name__ == "__main__":
    # Without pytest: run the test with the fixture by hand.
    cluster = _minikafka()
    try:
        test_consumer_recovers_when_the_leader_crashes(next(cluster))
    finally:
        cluster.close()
    print("ok")
