// A kafkajs group consumer in its own process, so that a test can kill it (SIGKILL: no
// LeaveGroup, no more heartbeats) like a crashed client. It never commits on its own: the
// parent sends { type: 'commit' } and gets { type: 'committed', offsets } back. Every record
// it sees is reported as { type: 'record', partition, offset, value }.
//
//   node group-consumer.mjs <bootstrap> <groupId> <topic> <sessionTimeoutMs>
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'crashing-consumer', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 500, maxWaitTimeInMs: 100 });
/** partition → next offset to consume */
const next = new Map();

consumer.on(consumer.events.GROUP_JOIN, (e) => process.send({ type: 'join', assignment: e.payload.memberAssignment }));
process.on('message', async (m) => {
  if (m.type !== 'commit') return;
  const offsets = [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) }));
  await consumer.commitOffsets(offsets);
  process.send({ type: 'committed', offsets: Object.fromEntries(next) });
});

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    next.set(partition, Number(message.offset) + 1);
    process.send({ type: 'record', partition, offset: Number(message.offset), value: message.value.toString() });
  },
});
process.send({ type: 'ready' });
