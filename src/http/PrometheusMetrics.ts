// GET /metrics: Prometheus text format (version 0.0.4), one family per Kafka metric, named as
// the JMX exporter's usual Kafka rules name them (kafka_<domain>_<type>_<name>, counters with
// _total) and labelled with the broker id:
//
//   kafka_server_brokertopicmetrics_{messagesin,bytesin,bytesout,messagesout,replicationbytesout}_total{topic}
//   kafka_network_requestmetrics_requests_total{request}         requests served per API
//   kafka_network_requestmetrics_totaltimems{request}            histogram of their total time (ms)
//   kafka_server_replicamanager_underreplicatedpartitions        led partitions with ISR < replicas
//   kafka_server_replicamanager_{isrshrinks,isrexpands}_total    ISR changes of led partitions
//   kafka_server_replicamanager_{leadercount,partitioncount,produceridcount}
//   kafka_controller_kafkacontroller_activecontrollercount       1 on the broker named controller
//   kafka_controller_kafkacontroller_offlinepartitionscount      partitions without a leader
//   kafka_coordinator_group_groupmetadatamanager_numgroups       groups coordinated
//   kafka_consumergroup_lag{group,topic,partition}               high watermark − committed offset
//   minikafka_broker_up / minikafka_broker_fenced
//
// Counters belong to a broker's current incarnation: a restarted broker starts them from 0, as
// a restarted Kafka does (Prometheus' rate() handles the reset).
import { LATENCY_BUCKETS_MS } from '../network/RequestMetrics.js';
import type { BrokerSnapshot } from './BrokerSnapshot.js';
import type { ClusterEvents } from './ClusterEvents.js';
import type { ClusterView, GroupView } from './ClusterState.js';

type Labels = Record<string, string | number>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labels(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Families {
  private readonly out: string[] = [];
  private readonly declared = new Set<string>();

  sample(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, l: Labels, value: number, suffix = ''): void {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    this.out.push(`${name}${suffix}${labels(l)} ${Number.isFinite(value) ? value : 0}`);
  }

  text(): string {
    return `${this.out.join('\n')}\n`;
  }
}

export function prometheusText(view: ClusterView, snaps: BrokerSnapshot[], groups: GroupView[], events: ClusterEvents): string {
  const f = new Families();
  const running = new Set(snaps.map((s) => s.nodeId));
  for (const b of view.brokers) {
    f.sample('minikafka_broker_up', 'gauge', 'Whether the broker runs and answers (1) or not (0).', { broker: b.id }, running.has(b.id) ? 1 : 0);
  }
  for (const b of view.brokers) {
    f.sample('minikafka_broker_fenced', 'gauge', 'Whether the controller holds the broker fenced.', { broker: b.id }, b.fenced ? 1 : 0);
  }
  const topicFamilies = [
    ['messagesin', 'messagesIn', 'Records appended by Produce requests (BrokerTopicMetrics MessagesInPerSec).'],
    ['bytesin', 'bytesIn', 'Record batch bytes appended by Produce requests (BrokerTopicMetrics BytesInPerSec).'],
    ['bytesout', 'bytesOut', 'Record batch bytes served to consumers by Fetch (BrokerTopicMetrics BytesOutPerSec).'],
    ['messagesout', 'messagesOut', 'Records in the batches served to consumers by Fetch.'],
    ['replicationbytesout', 'replicationBytesOut', 'Record batch bytes served to follower replicas (BrokerTopicMetrics ReplicationBytesOutPerSec).'],
  ] as const;
  for (const [name, key, help] of topicFamilies) {
    for (const s of snaps) {
      for (const [topic, t] of Object.entries(s.metrics.topics).sort(([a], [b]) => a.localeCompare(b))) {
        f.sample(`kafka_server_brokertopicmetrics_${name}_total`, 'counter', help, { broker: s.nodeId, topic }, t[key]);
      }
    }
  }
  for (const s of snaps) {
    for (const [api, a] of Object.entries(s.metrics.apis).sort(([x], [y]) => x.localeCompare(y))) {
      f.sample('kafka_network_requestmetrics_requests_total', 'counter', 'Requests served, per API (RequestMetrics RequestsPerSec).', { broker: s.nodeId, request: api }, a.requests);
    }
  }
  for (const s of snaps) {
    for (const [api, a] of Object.entries(s.metrics.apis).sort(([x], [y]) => x.localeCompare(y))) {
      const name = 'kafka_network_requestmetrics_totaltimems';
      const help = 'Time from a request read to its answer ready, in ms (RequestMetrics TotalTimeMs).';
      LATENCY_BUCKETS_MS.forEach((le, i) => f.sample(name, 'histogram', help, { broker: s.nodeId, request: api, le }, a.buckets[i]!, '_bucket'));
      f.sample(name, 'histogram', help, { broker: s.nodeId, request: api, le: '+Inf' }, a.requests, '_bucket');
      f.sample(name, 'histogram', help, { broker: s.nodeId, request: api }, a.totalTimeMsSum, '_sum');
      f.sample(name, 'histogram', help, { broker: s.nodeId, request: api }, a.requests, '_count');
    }
  }
  const partitions = view.topics.flatMap((t) => t.partitions);
  for (const b of view.brokers) {
    const under = partitions.filter((p) => p.leader === b.id && p.underReplicated).length;
    f.sample('kafka_server_replicamanager_underreplicatedpartitions', 'gauge', 'Partitions this broker leads whose ISR is smaller than their replica set.', { broker: b.id }, under);
  }
  for (const b of view.brokers) {
    f.sample('kafka_server_replicamanager_isrshrinks_total', 'counter', 'ISR shrinks of partitions this broker led (IsrShrinksPerSec).', { broker: b.id }, events.isrShrinks.get(b.id) ?? 0);
  }
  for (const b of view.brokers) {
    f.sample('kafka_server_replicamanager_isrexpands_total', 'counter', 'ISR expansions of partitions this broker led (IsrExpandsPerSec).', { broker: b.id }, events.isrExpands.get(b.id) ?? 0);
  }
  for (const b of view.brokers) {
    f.sample('kafka_server_replicamanager_leadercount', 'gauge', 'Partitions this broker leads.', { broker: b.id }, b.leaderCount);
  }
  for (const s of snaps) {
    f.sample('kafka_server_replicamanager_partitioncount', 'gauge', 'Replicas hosted by this broker.', { broker: s.nodeId }, s.replicas.length);
  }
  for (const s of snaps) {
    f.sample('kafka_server_replicamanager_produceridcount', 'gauge', 'Idempotent producer ids held by the partitions this broker leads (ProducerIdCount).', { broker: s.nodeId }, s.producers.length);
  }
  for (const b of view.brokers) {
    f.sample('kafka_controller_kafkacontroller_activecontrollercount', 'gauge', 'Whether this broker is the one named controller in Metadata (1) or not (0).', { broker: b.id }, b.id === view.controllerId ? 1 : 0);
  }
  f.sample('kafka_controller_kafkacontroller_offlinepartitionscount', 'gauge', 'Partitions without a leader.', {}, partitions.filter((p) => p.offline).length);
  f.sample('kafka_controller_kafkacontroller_globalpartitioncount', 'gauge', 'Partitions in the cluster.', {}, partitions.length);
  for (const s of snaps) {
    f.sample('kafka_coordinator_group_groupmetadatamanager_numgroups', 'gauge', 'Consumer groups this broker coordinates (NumGroups).', { broker: s.nodeId }, s.groups.length);
  }
  for (const g of groups) {
    for (const o of g.offsets) {
      if (o.lag === null) continue;
      f.sample('kafka_consumergroup_lag', 'gauge', 'High watermark minus the committed offset.', { group: g.groupId, topic: o.topic, partition: o.partition }, o.lag);
    }
  }
  return f.text();
}
