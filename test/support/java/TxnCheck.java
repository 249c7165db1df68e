// Apache Kafka's own Java client against a broker's transactions (issue #12, proof 6), run by
// test/transactions-java.test.ts: a commit, an abort, sendOffsetsToTransaction, a fence
// (ProducerFencedException), then what read_committed and read_uncommitted consumers see.
//   java -cp <classes>:<kafka-clients libs> TxnCheck BOOTSTRAP TOPIC INPUT_TOPIC GROUP TXN_ID_PREFIX
// Prints one JSON object on stdout.
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class TxnCheck {
  static String bootstrap;

  static KafkaProducer<String, String> producer(String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    return new KafkaProducer<>(p);
  }

  static List<String> read(String topic, String isolation, String last) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 30_000;
      while (!values.contains(last) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) values.add(r.value());
      }
    }
    return values;
  }

  static String json(List<String> values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) b.append(i == 0 ? "" : ",").append('"').append(values.get(i)).append('"');
    return b.append(']').toString();
  }

  public static void main(String[] args) {
    bootstrap = args[0];
    String topic = args[1], input = args[2], group = args[3], prefix = args[4];

    try (KafkaProducer<String, String> p = producer(prefix + "-main")) {
      p.initTransactions();
      p.beginTransaction(); // committed: c0 c1 c2
      for (int i = 0; i < 3; i++) p.send(new ProducerRecord<>(topic, 0, null, "c" + i));
      p.commitTransaction();
      p.beginTransaction(); // aborted: a0 a1, in the log before the abort
      p.send(new ProducerRecord<>(topic, 0, null, "a0"));
      p.send(new ProducerRecord<>(topic, 0, null, "a1"));
      p.flush();
      p.abortTransaction();
      p.beginTransaction(); // committed with the group's offset of the input topic
      p.send(new ProducerRecord<>(topic, 0, null, "o0"));
      p.sendOffsetsToTransaction(Map.of(new TopicPartition(input, 0), new OffsetAndMetadata(5)), new ConsumerGroupMetadata(group));
      p.commitTransaction();
    }

    String fenceError = "none";
    KafkaProducer<String, String> zombie = producer(prefix + "-fence");
    zombie.initTransactions();
    zombie.beginTransaction();
    zombie.send(new ProducerRecord<>(topic, 0, null, "zombie"));
    zombie.flush();
    try (KafkaProducer<String, String> winner = producer(prefix + "-fence")) {
      winner.initTransactions(); // bumps the epoch and aborts the zombie's transaction
      try {
        zombie.commitTransaction();
      } catch (Exception e) {
        fenceError = e.getClass().getName();
      }
      winner.beginTransaction();
      winner.send(new ProducerRecord<>(topic, 0, null, "winner"));
      winner.commitTransaction();
    }
    zombie.close(Duration.ZERO);

    List<String> committed = read(topic, "read_committed", "winner");
    List<String> uncommitted = read(topic, "read_uncommitted", "winner");
    System.out.println("{\"fenceError\":\"" + fenceError + "\",\"readCommitted\":" + json(committed) + ",\"readUncommitted\":" + json(uncommitted) + "}");
  }
}
