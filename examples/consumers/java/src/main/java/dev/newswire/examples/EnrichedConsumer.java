package dev.newswire.examples;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads articles.enriched from the beginning in a consumer group of its own, as another team's
 * system would: validates every message against the committed JSON Schema, checks that each key
 * is the story id the message carries, and folds the messages into the latest version of each
 * story (a greater version_order is later; a tombstone deletes the story). Stops once it has read
 * what the topic held when it started; prints a summary as one JSON object; exits 1 when any
 * message is invalid.
 *
 * <p>Arguments: BOOTSTRAP_SERVERS TOPIC GROUP SCHEMA_FILE [CLIENT_PROPERTIES]
 *
 * <p>CLIENT_PROPERTIES: a file of Kafka client properties added to the consumer's, for a secured
 * cluster (docs/deploy.md), e.g. for SASL_SSL with SCRAM:
 *
 * <pre>
 * security.protocol=SASL_SSL
 * sasl.mechanism=SCRAM-SHA-512
 * sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
 *     username="consumer" password="...";
 * ssl.truststore.type=PEM
 * ssl.truststore.location=/path/to/ca.crt
 * </pre>
 */
public final class EnrichedConsumer {
  private EnrichedConsumer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4 && args.length != 5) {
      System.err.println(
          "usage: EnrichedConsumer BOOTSTRAP_SERVERS TOPIC GROUP SCHEMA_FILE [CLIENT_PROPERTIES]");
      System.exit(2);
    }
    String topic = args[1];
    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(Files.readString(Path.of(args[3]), StandardCharsets.UTF_8));
    JsonMapper json = JsonMapper.builder().build();

    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, args[2]);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    if (args.length == 5) {
      Properties client = new Properties();
      try (var reader = Files.newBufferedReader(Path.of(args[4]), StandardCharsets.UTF_8)) {
        client.load(reader);
      }
      config.putAll(client);
    }

    long messages = 0;
    long tombstones = 0;
    long invalid = 0;
    long keyMismatches = 0;
    Map<String, JsonNode> latest = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
          messages++;
          String key = new String(record.key(), StandardCharsets.UTF_8);
          if (record.value() == null) {
            tombstones++;
            latest.remove(key);
            continue;
          }
          JsonNode article = json.readTree(record.value());
          List<Error> errors = schema.validate(article);
          if (!errors.isEmpty()) {
            invalid++;
            System.err.printf(
                "%s/%d/%d: %s%n", topic, record.partition(), record.offset(), errors.get(0));
          }
          if (!key.equals(article.path("id").asString())) {
            keyMismatches++;
          }
          JsonNode known = latest.get(key);
          String order = article.path("version_order").asString();
          if (known == null || order.compareTo(known.path("version_order").asString()) > 0) {
            latest.put(key, article);
          }
        }
      }
      consumer.commitSync();
    }
    Set<String> contents = new HashSet<>();
    for (JsonNode article : latest.values()) {
      contents.add(article.path("content_sha256").asString());
    }
    System.out.printf(
        "{\"messages\": %d, \"tombstones\": %d, \"invalid\": %d, \"key_mismatches\": %d, "
            + "\"stories\": %d, \"distinct_contents\": %d}%n",
        messages, tombstones, invalid, keyMismatches, latest.size(), contents.size());
    System.exit(invalid == 0 && keyMismatches == 0 ? 0 : 1);
  }
}
