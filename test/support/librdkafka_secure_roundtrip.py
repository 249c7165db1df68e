"""Produce COUNT messages and consume them back with librdkafka through one secured listener.

usage: librdkafka_secure_roundtrip.py BOOTSTRAP TOPIC COUNT 'JSON client config'
Prints one JSON report: {"delivered": n, "consumed": [values], "errors": [client errors]}.
A refused client (wrong password, untrusted certificate) delivers nothing and reports the
errors librdkafka raised (authentication or transport).
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, topic, count, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
errors = []


def on_error(err):
    errors.append(err.name())


conf = {'bootstrap.servers': bootstrap, 'error_cb': on_error, 'message.timeout.ms': 10000}
conf.update(extra)
delivered = []


def on_delivery(err, msg):
    if err is None:
        delivered.append(msg.value().decode())
    else:
        errors.append(err.name())


p = Producer(conf)
for i in range(count):
    p.produce(topic, value=('%s-%d' % (topic, i)).encode(), on_delivery=on_delivery)
p.flush(15)
consumed = []
if len(delivered) == count:
    cconf = dict(conf)
    del cconf['message.timeout.ms']
    cconf.update({'group.id': topic + '-group', 'auto.offset.reset': 'earliest'})
    c = Consumer(cconf)
    c.subscribe([topic])
    deadline = time.time() + 30
    while len(consumed) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            consumed.append(m.value().decode())
    c.close()
print(json.dumps({'delivered': len(delivered), 'consumed': sorted(consumed), 'errors': sorted(set(errors))}))
