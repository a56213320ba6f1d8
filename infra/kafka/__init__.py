"""Local Apache Kafka (KRaft) broker launcher."""
