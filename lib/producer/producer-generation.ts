/**
 * One kafkajs producer and every socket it opened. A send that outlives its invocation's deadline cannot be
 * cancelled in kafkajs: its retrier goes on retrying, reconnecting if it must, long after the function has
 * answered (on Lambda, inside a later invocation, once the container thaws). So such a send retires its whole
 * generation: its sockets are destroyed at once and it may open no new one, which leaves its leftover retries
 * nothing to write with; the next send starts a new generation with a producer of its own (and, when
 * idempotent, a new producer id), so it waits behind nothing.
 */
import type { ISocketFactory, PartitionMetadata, Producer } from 'kafkajs';
import { ClosableSockets } from './closable-sockets.js';
import { ReusableConnection } from './reusable-connection.js';

export class ProducerGeneration {
  readonly connection: ReusableConnection<Producer>;
  readonly #sockets = new ClosableSockets('a retired producer');
  readonly #partitions = new Map<string, PartitionMetadata[]>();

  /** `create` builds the producer with the socket factory it is handed (at once, or once credentials are in). */
  constructor(
    create: (
      socketFactory: ISocketFactory,
      generation: ProducerGeneration,
    ) => Producer | Promise<Producer>,
  ) {
    this.connection = new ReusableConnection(() => create(this.#sockets.socketFactory, this));
  }

  get retired(): boolean {
    return this.#sockets.isClosed;
  }

  /** What the partitioner last saw of a topic's partitions: which broker leads each. */
  partitionsOf(topic: string): PartitionMetadata[] | undefined {
    return this.#partitions.get(topic);
  }

  rememberPartitions(topic: string, metadata: PartitionMetadata[]): void {
    this.#partitions.set(topic, metadata);
  }

  /** Ends everything this generation does on the network, now; what kafkajs still has pending fails. */
  retire(): void {
    if (this.retired) return;
    this.#sockets.close();
    this.connection.close().catch(() => undefined);
  }
}
