"""librdkafka's transactional producer (confluent-kafka-python) in one scenario; prints one JSON report.

usage: librdkafka_txn.py BOOTSTRAP SCENARIO ARGS...
  commit TOPIC TXN_ID COUNT       init_transactions, one transaction of COUNT records 'c0'.., commit
  abort TOPIC TXN_ID COUNT        one transaction of COUNT records 'a0'.., flushed, then aborted
  offsets IN OUT TXN_ID GROUP N   consume N records of IN (read_committed, group GROUP), produce each
                                  upper-cased to OUT and send_offsets_to_transaction, then commit
  fence TOPIC TXN_ID              a first producer writes 'zombie', a second init_transactions with the
                                  same id fences it: the first's commit fails; the second commits 'winner'
Errors are reported as {"code": name, "fatal": bool, "abortable": bool, "retriable": bool}.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, scenario, args = sys.argv[1], sys.argv[2], sys.argv[3:]
TIMEOUT = 30


def producer(txn_id):
    return Producer({'bootstrap.servers': bootstrap, 'transactional.id': txn_id, 'linger.ms': 5})


def error_of(exc):
    err = exc.args[0]
    return {'code': err.name(), 'fatal': err.fatal(), 'abortable': err.txn_requires_abort(), 'retriable': err.retriable()}


def commit(topic, txn_id, count):
    p = producer(txn_id)
    p.init_transactions(TIMEOUT)
    p.begin_transaction()
    for i in range(int(count)):
        p.produce(topic, value=('c%d' % i).encode(), partition=0)
    p.commit_transaction(TIMEOUT)
    return {'ok': True}


def abort(topic, txn_id, count):
    p = producer(txn_id)
    p.init_transactions(TIMEOUT)
    p.begin_transaction()
    for i in range(int(count)):
        p.produce(topic, value=('a%d' % i).encode(), partition=0)
    p.flush(TIMEOUT)  # the records are in the log before the abort
    p.abort_transaction(TIMEOUT)
    return {'ok': True}


def offsets(topic_in, topic_out, txn_id, group, count):
    count = int(count)
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                  'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed'})
    c.subscribe([topic_in])
    p = producer(txn_id)
    p.init_transactions(TIMEOUT)
    p.begin_transaction()
    seen = 0
    for _ in range(600):
        if seen >= count:
            break
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        p.produce(topic_out, value=m.value().upper(), partition=0)
        seen += 1
    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), TIMEOUT)
    p.commit_transaction(TIMEOUT)
    c.close()
    return {'ok': True, 'consumed': seen}


def fence(topic, txn_id):
    first = producer(txn_id)
    first.init_transactions(TIMEOUT)
    first.begin_transaction()
    first.produce(topic, value=b'zombie', partition=0)
    first.flush(TIMEOUT)
    second = producer(txn_id)
    second.init_transactions(TIMEOUT)
    report = {}
    try:
        first.commit_transaction(TIMEOUT)
        report['zombieCommit'] = None
    except KafkaException as e:
        report['zombieCommit'] = error_of(e)
    second.begin_transaction()
    second.produce(topic, value=b'winner', partition=0)
    second.commit_transaction(TIMEOUT)
    report['ok'] = True
    return report


scenarios = {'commit': commit, 'abort': abort, 'offsets': offsets, 'fence': fence}
try:
    out = scenarios[scenario](*args)
except KafkaException as e:
    out = {'ok': False, 'error': error_of(e)}
print(json.dumps(out))
