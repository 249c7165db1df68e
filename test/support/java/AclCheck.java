// ACLs through Apache Kafka's Java Admin client and producer (test/acls-java.test.ts): create a
// PREFIXED ALLOW and a LITERAL DENY, describe them with a MATCH filter, create two topics, produce
// to both (the denied one must fail with TopicAuthorizationException), delete every ACL. Prints
// one JSON line with what it saw.
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;

public class AclCheck {
  static String outcome(KafkaProducer<String, String> producer, String topic) {
    try {
      producer.send(new ProducerRecord<>(topic, "v")).get();
      return "OK";
    } catch (ExecutionException e) {
      return e.getCause().getClass().getSimpleName();
    } catch (Exception e) {
      return e.getClass().getSimpleName();
    }
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    StringBuilder out = new StringBuilder("{");
    try (Admin admin = Admin.create(props)) {
      AclBinding allowAll = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "java-", PatternType.PREFIXED),
          new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.ALLOW));
      AclBinding denyWrite = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "java-denied", PatternType.LITERAL),
          new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.WRITE, AclPermissionType.DENY));
      admin.createAcls(List.of(allowAll, denyWrite)).all().get();
      Collection<AclBinding> matched = admin.describeAcls(new AclBindingFilter(
          new ResourcePatternFilter(ResourceType.TOPIC, "java-denied", PatternType.MATCH), AccessControlEntryFilter.ANY)).values().get();
      out.append("\"matched\":").append(matched.size());
      admin.createTopics(List.of(new NewTopic("java-denied", 1, (short) 1), new NewTopic("java-ok", 1, (short) 1))).all().get();
      Properties p = new Properties();
      p.put("bootstrap.servers", args[0]);
      p.put("max.block.ms", "10000");
      p.put("delivery.timeout.ms", "15000");
      p.put("request.timeout.ms", "10000");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
        out.append(",\"ok\":\"").append(outcome(producer, "java-ok")).append('"');
        out.append(",\"denied\":\"").append(outcome(producer, "java-denied")).append('"');
      }
      Collection<AclBinding> deleted = admin.deleteAcls(List.of(AclBindingFilter.ANY)).all().get();
      out.append(",\"deleted\":").append(deleted.size());
      out.append(",\"left\":").append(admin.describeAcls(AclBindingFilter.ANY).values().get().size());
    }
    System.out.println(out.append('}'));
  }
}
