// Apache Kafka's Java client against minikafka's secured listeners (test/security-java.test.ts):
// the admin client creates and describes a SCRAM-SHA-512 credential over PLAINTEXT, then a
// producer and a consumer use it over SASL_SSL (PEM truststore); a wrong password must fail
// with SaslAuthenticationException. Prints one JSON line.
// usage: SecurityCheck PLAINTEXT_BOOTSTRAP SASL_SSL_BOOTSTRAP CA_PEM TOPIC
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SecurityCheck {
  static Properties secured(String bootstrap, String ca, String password) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", "SCRAM-SHA-512");
    p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"java-user\" password=\"" + password + "\";");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", ca);
    return p;
  }

  static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  public static void main(String[] args) throws Exception {
    String plain = args[0], saslSsl = args[1], ca = args[2], topic = args[3];
    Properties ap = new Properties();
    ap.put("bootstrap.servers", plain);
    String described;
    try (Admin admin = Admin.create(ap)) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("java-user", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "java-pw"))).all().get();
      Map<String, UserScramCredentialsDescription> d = admin.describeUserScramCredentials(List.of("java-user")).all().get();
      ScramCredentialInfo info = d.get("java-user").credentialInfos().get(0);
      described = info.mechanism() + ":" + info.iterations();
    }
    Properties pp = secured(saslSsl, ca, "java-pw");
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    pp.put("acks", "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(topic, "k" + i, "java-" + i)).get();
    }
    Properties cp = secured(saslSsl, ca, "java-pw");
    cp.put("key.deserializer", StringDeserializer.class.getName());
    cp.put("value.deserializer", StringDeserializer.class.getName());
    cp.put("group.id", topic + "-group");
    cp.put("auto.offset.reset", "earliest");
    List<String> consumed = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (consumed.size() < 3 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) consumed.add(r.value());
      }
    }
    String wrong;
    Properties bad = secured(saslSsl, ca, "not-the-password");
    bad.put("default.api.timeout.ms", "10000");
    bad.put("request.timeout.ms", "5000");
    try (Admin admin = Admin.create(bad)) {
      admin.describeCluster().nodes().get();
      wrong = "none";
    } catch (java.util.concurrent.ExecutionException e) {
      wrong = e.getCause().getClass().getName();
    }
    consumed.sort(null);
    StringBuilder out = new StringBuilder("{\"described\":" + q(described) + ",\"wrongPassword\":" + q(wrong) + ",\"consumed\":[");
    for (int i = 0; i < consumed.size(); i++) out.append(i > 0 ? "," : "").append(q(consumed.get(i)));
    System.out.println(out.append("]}"));
  }
}
