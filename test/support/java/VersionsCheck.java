// Apache Kafka's own Java client against the newest protocol versions a broker serves, run by
// test/versions-java.test.ts: ApiVersions v5 written and parsed by the client's own codecs,
// then an admin client, an idempotent producer and a group consumer (each negotiating the
// highest version both sides have) and Admin.listOffsets for every OffsetSpec.
//   java -cp <classes>:<kafka-clients libs> VersionsCheck BOOTSTRAP TOPIC GROUP
// Prints one JSON object on stdout.
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class VersionsCheck {
  /** One ApiVersions exchange at `version` over a plain socket: the error code and the number of APIs listed. */
  static String apiVersions(String bootstrap, short version) throws Exception {
    String[] hp = bootstrap.split(",")[0].split(":");
    try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, version, "versions-check", 7);
      ByteBuffer body = new ApiVersionsRequest.Builder().build(version).serializeWithHeader(header);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(body.remaining());
      out.write(body.array(), body.arrayOffset() + body.position(), body.remaining());
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] frame = new byte[in.readInt()];
      in.readFully(frame);
      ApiVersionsResponse res = (ApiVersionsResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(frame), header);
      return "{\"errorCode\":" + res.data().errorCode() + ",\"apis\":" + res.data().apiKeys().size() + "}";
    }
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    StringBuilder json = new StringBuilder("{");
    json.append("\"apiVersionsV5\":").append(apiVersions(bootstrap, (short) 5));

    Properties a = new Properties();
    a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(a)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();

      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      List<Long> offsets = new ArrayList<>();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        long ts = 1_700_000_000_000L;
        for (String v : List.of("a", "b", "c")) {
          offsets.add(producer.send(new ProducerRecord<>(topic, 0, ts, v, v)).get().offset());
          ts += 1000;
        }
      }
      json.append(",\"produced\":").append(offsets);

      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      List<String> consumed = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        consumer.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 60_000;
        while (consumed.size() < 3 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) consumed.add("\"" + r.value() + "\"");
        }
        consumer.commitSync();
      }
      json.append(",\"consumed\":").append(consumed);

      TopicPartition tp = new TopicPartition(topic, 0);
      json.append(",\"committed\":").append(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(tp).offset());

      Map<String, OffsetSpec> specs = new LinkedHashMap<>();
      specs.put("earliest", OffsetSpec.earliest());
      specs.put("latest", OffsetSpec.latest());
      specs.put("maxTimestamp", OffsetSpec.maxTimestamp());
      specs.put("forTimestamp", OffsetSpec.forTimestamp(1_700_000_000_500L));
      specs.put("earliestLocal", OffsetSpec.earliestLocal());
      specs.put("latestTiered", OffsetSpec.latestTiered());
      // (4.x only: looked up so that this file also compiles against 3.9's client)
      specs.put("earliestPendingUpload", (OffsetSpec) OffsetSpec.class.getMethod("earliestPendingUpload").invoke(null));
      json.append(",\"listOffsets\":{");
      boolean first = true;
      for (Map.Entry<String, OffsetSpec> e : specs.entrySet()) {
        long offset = admin.listOffsets(Map.of(tp, e.getValue())).partitionResult(tp).get().offset();
        json.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(offset);
        first = false;
      }
      json.append("}");
    }
    json.append("}");
    System.out.println(json);
  }
}
