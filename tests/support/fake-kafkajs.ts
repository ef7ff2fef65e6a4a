import type { Kafka, Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';

/**
 * Stands in for kafkajs's producer: counts connects, runs the configured partitioner like kafkajs does,
 * answers per partition with a base offset, and can drop its connection or hang like a real one.
 */
export class FakeKafkaProducer {
  connects = 0;
  sends: ProducerRecord[] = [];
  connectFailure: Error | undefined;
  sendFailure: Error | undefined;
  hangSends = false;
  /** While set, every send waits for it before answering. */
  sendGate: Promise<void> | undefined;
  /** Which broker leads each of the topic's four partitions. */
  leaders = [1, 1, 1, 1];
  /** Sends with a record for a partition this broker leads fail, as if the broker were down. */
  downBroker: number | undefined;
  readonly events = { DISCONNECT: 'producer.disconnect' } as const;
  private readonly offsets = new Map<number, number>();
  private readonly disconnectListeners: (() => void)[] = [];

  constructor(readonly producerConfig: ProducerConfig) {}

  async connect() {
    this.connects += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.connectFailure) throw this.connectFailure;
  }

  disconnects = 0;

  async disconnect() {
    this.disconnects += 1;
    this.dropConnection();
  }

  on(event: string, listener: () => void) {
    if (event === this.events.DISCONNECT) this.disconnectListeners.push(listener);
  }

  dropConnection() {
    for (const listener of this.disconnectListeners) listener();
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.sends.push(record);
    if (this.hangSends) return new Promise(() => undefined);
    await this.sendGate;
    if (this.sendFailure) throw this.sendFailure;
    const partitioner = this.producerConfig.createPartitioner!();
    const perPartition = new Map<number, number>();
    for (const message of record.messages) {
      const partition = partitioner({
        topic: record.topic,
        message,
        partitionMetadata: this.leaders.map((leader, id) => ({
          partitionId: id,
          leader,
          replicas: [leader],
          isr: [leader],
          partitionErrorCode: 0,
        })),
      });
      if (this.leaders[partition] === this.downBroker)
        throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
          type: 'NETWORK_EXCEPTION',
        });
      perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
    }
    return [...perPartition].map(([partition, count]) => {
      const baseOffset = this.offsets.get(partition) ?? 0;
      this.offsets.set(partition, baseOffset + count);
      return { topicName: record.topic, partition, errorCode: 0, baseOffset: String(baseOffset) };
    });
  }
}

/** Stands in for kafkajs's Kafka client; keeps every producer it made. */
export class FakeKafkaClient implements Pick<Kafka, 'producer'> {
  readonly created: FakeKafkaProducer[] = [];

  producer(producerConfig?: ProducerConfig): Producer {
    const fake = new FakeKafkaProducer(producerConfig ?? {});
    this.created.push(fake);
    return fake as unknown as Producer;
  }
}
