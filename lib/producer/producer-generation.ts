/**
 * One kafkajs producer and every socket it opened. A send that outlives its invocation's deadline cannot be
 * cancelled in kafkajs: its retrier goes on retrying, reconnecting if it must, long after the function has
 * answered (on Lambda, inside a later invocation, once the container thaws). So such a send retires its whole
 * generation: its sockets are destroyed at once and it may open no new one, which leaves its leftover retries
 * nothing to write with; the next send starts a new generation with a producer of its own (and, when
 * idempotent, a new producer id), so it waits behind nothing.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory, PartitionMetadata, Producer } from 'kafkajs';
import { ReusableConnection } from './reusable-connection.js';

/** kafkajs's own keep-alive for its sockets. */
const KEEP_ALIVE_MS = 60_000;

/** kafkajs's default socket factory, so that this one differs from it only in what it counts and refuses. */
const openSocket: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect(
        { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl },
        onConnect,
      )
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_MS);
  return socket;
};

export class ProducerGeneration {
  readonly connection: ReusableConnection<Producer>;
  private readonly sockets = new Set<net.Socket>();
  private readonly partitions = new Map<string, PartitionMetadata[]>();
  private retiredAt: number | undefined;

  /** `create` builds the producer with the socket factory it is handed (at once, or once credentials are in). */
  constructor(
    create: (
      socketFactory: ISocketFactory,
      generation: ProducerGeneration,
    ) => Producer | Promise<Producer>,
  ) {
    this.connection = new ReusableConnection(() => create(this.socketFactory, this));
  }

  get retired(): boolean {
    return this.retiredAt !== undefined;
  }

  /** How many sockets of this generation are open (for tests and diagnostics). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** What the partitioner last saw of a topic's partitions: which broker leads each. */
  partitionsOf(topic: string): PartitionMetadata[] | undefined {
    return this.partitions.get(topic);
  }

  rememberPartitions(topic: string, metadata: PartitionMetadata[]): void {
    this.partitions.set(topic, metadata);
  }

  /** Ends everything this generation does on the network, now; what kafkajs still has pending fails. */
  retire(): void {
    if (this.retired) return;
    this.retiredAt = Date.now();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.connection.close().catch(() => undefined);
  }

  private readonly socketFactory: ISocketFactory = (args) => {
    // kafkajs turns a throw here into a connection error, as if the broker could not be reached.
    if (this.retired)
      throw new Error('this producer was retired after its send outlived its deadline');
    const socket = openSocket(args);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  };
}
