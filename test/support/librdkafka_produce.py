"""Produce numbered messages with librdkafka (confluent-kafka-python) and print one JSON report.

usage: librdkafka_produce.py BOOTSTRAP TOPIC COUNT 'JSON producer config'
Messages are 'm0'..'m<COUNT-1>' to partition 0, flushed in order; the report lists each
delivery's error (or null) and offset, in delivery-callback order.
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, count, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
conf = {'bootstrap.servers': bootstrap, 'linger.ms': 20, 'batch.num.messages': 10, 'retry.backoff.ms': 50}
conf.update(extra)
reports = []


def on_delivery(err, msg):
    reports.append({'value': msg.value().decode(), 'error': None if err is None else err.str(), 'offset': msg.offset()})


p = Producer(conf)
for i in range(count):
    p.produce(topic, value=('m%d' % i).encode(), partition=0, on_delivery=on_delivery)
    if i % 10 == 9:
        p.poll(0)
left = p.flush(30)
print(json.dumps({'undelivered': left, 'reports': reports}))
