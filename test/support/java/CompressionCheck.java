// Apache Kafka's own Java consumer reads a partition from offset 0 (assign, no group), run by
// test/producer-compression.test.ts: the batches our producer compressed are decoded by the
// client's codecs (snappy-java, lz4-java with Kafka's Lz4BlockInputStream, zstd-jni, gzip).
//   java -cp <classes>:<kafka-clients libs> CompressionCheck BOOTSTRAP TOPIC COUNT
// Prints one JSON array on stdout: "key:sha256(value):first header value" per record.
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CompressionCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int count = Integer.parseInt(args[2]);
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seek(tp, 0);
      long deadline = System.currentTimeMillis() + 60_000;
      while (out.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.value()));
          String header = new String(r.headers().toArray()[0].value(), "UTF-8");
          out.add(new String(r.key(), "UTF-8") + ":" + sha + ":" + header);
        }
      }
    }
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < out.size(); i++) json.append(i == 0 ? "" : ",").append('"').append(out.get(i)).append('"');
    System.out.println(json.append(']'));
  }
}
