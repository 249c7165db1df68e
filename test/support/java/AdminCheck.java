// Issue #13 with Apache Kafka's own Java Admin client: what kafka-reassign-partitions,
// kafka-leader-election, kafka-log-dirs, kafka-metadata-quorum and kafka-client-quotas call.
//   java -cp CLASSPATH AdminCheck BOOTSTRAP TOPIC TARGET_REPLICAS(comma separated)
// Prints one JSON line with what the calls returned; exceptions are reported by class name.
import java.util.*;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.quota.*;

public class AdminCheck {
  static final StringBuilder out = new StringBuilder("{");

  static void put(String key, Object value) {
    if (out.length() > 1) out.append(',');
    out.append('"').append(key).append("\":");
    if (value instanceof String) out.append('"').append(((String) value).replace("\"", "'")).append('"');
    else out.append(value);
  }

  static String causeOf(Throwable e) {
    Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return c.getClass().getName();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    List<Integer> target = new ArrayList<>();
    for (String s : args[2].split(",")) target.add(Integer.parseInt(s));
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
    try (Admin admin = Admin.create(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);

      // kafka-reassign-partitions --execute, then --verify until done.
      admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(target)))).all().get();
      long deadline = System.currentTimeMillis() + 60000;
      int listedWhileOngoing = 0;
      while (true) {
        Map<TopicPartition, PartitionReassignment> ongoing = admin.listPartitionReassignments(Set.of(tp)).reassignments().get();
        if (ongoing.isEmpty()) break;
        listedWhileOngoing++;
        if (System.currentTimeMillis() > deadline) throw new RuntimeException("reassignment did not complete");
        Thread.sleep(100);
      }
      put("listedWhileOngoing", listedWhileOngoing);
      // Replicas as the admin's describeTopics reports them (DescribeTopicPartitions on 3.9+ clients).
      TopicDescription desc = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      TopicPartitionInfo info = desc.partitions().get(0);
      List<Integer> replicas = new ArrayList<>();
      for (Node n : info.replicas()) replicas.add(n.id());
      List<Integer> isr = new ArrayList<>();
      for (Node n : info.isr()) isr.add(n.id());
      Collections.sort(isr);
      put("replicas", replicas.toString().replace(" ", ""));
      put("isr", isr.toString().replace(" ", ""));
      put("leader", info.leader() == null ? -1 : info.leader().id());

      // Cancelling with nothing in progress.
      try {
        admin.alterPartitionReassignments(Map.of(tp, Optional.empty())).all().get();
        put("cancelIdle", "ok");
      } catch (ExecutionException e) {
        put("cancelIdle", causeOf(e));
      }

      // kafka-leader-election --election-type preferred.
      Map<TopicPartition, Optional<Throwable>> elected = admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions().get();
      put("preferred", elected.get(tp).map(t -> t.getClass().getName()).orElse("ok"));
      try {
        admin.electLeaders(ElectionType.UNCLEAN, Set.of(tp)).all().get();
        put("unclean", "ok");
      } catch (ExecutionException e) {
        put("unclean", causeOf(e));
      }

      // kafka-log-dirs --describe.
      List<Integer> brokers = new ArrayList<>();
      for (Node n : admin.describeCluster().nodes().get()) brokers.add(n.id());
      Collections.sort(brokers);
      Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(brokers).allDescriptions().get();
      long sizeOnLeader = -1;
      int dirsPerBroker = -1;
      for (Map.Entry<Integer, Map<String, LogDirDescription>> e : dirs.entrySet()) {
        dirsPerBroker = Math.max(dirsPerBroker, e.getValue().size());
        for (LogDirDescription d : e.getValue().values()) {
          ReplicaInfo r = d.replicaInfos().get(tp);
          if (r != null && e.getKey() == info.leader().id()) sizeOnLeader = r.size();
        }
      }
      put("dirsPerBroker", dirsPerBroker);
      put("sizeOnLeader", sizeOnLeader);

      // kafka-metadata-quorum describe --status / --replication.
      QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
      put("quorumLeader", quorum.leaderId());
      put("voters", quorum.voters().size());
      put("observers", quorum.observers().size());
      put("quorumHighWatermark", quorum.highWatermark());

      // kafka-client-quotas --alter / --describe.
      ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "alice", ClientQuotaEntity.CLIENT_ID, "app"));
      admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", 4096.0))))).all().get();
      Map<ClientQuotaEntity, Map<String, Double>> quotas =
          admin.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, "alice"), ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "app")))).entities().get();
      put("quota", quotas.getOrDefault(entity, Map.of()).getOrDefault("producer_byte_rate", -1.0));
      try {
        admin.unregisterBroker(999).all().get();
        put("unregisterUnknown", "ok");
      } catch (ExecutionException e) {
        put("unregisterUnknown", causeOf(e));
      }
    }
    System.out.println(out.append('}'));
  }
}
