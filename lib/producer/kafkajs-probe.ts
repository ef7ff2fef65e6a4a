/**
 * BrokerProbe on kafkajs's admin client: Metadata and ListOffsets requests only (the admin client never creates
 * topics, and ListOffsets reads no record). ListOffsets goes to the leader of every partition, so a leader that
 * the metadata still names but that cannot be reached shows up, as it does for a publish.
 *
 * Overlapping checks share one client rather than each opening its own: a warm check then costs no TCP, TLS or
 * SASL handshake, and a monitor polling /health cannot eat into the cluster's new-connection rate (MSK with IAM
 * takes about 20 a second per broker). Sharing is safe because a client is never reconnected or disconnected
 * while another check uses it:
 * - a check that fails, finds the cluster unhealthy or runs out of time retires the shared client: the next
 *   check opens a new one, so a failure never leaves its state to the next check;
 * - a retired client is closed when the last check using it has let go (on its answer, or at its deadline).
 * Closing does not call kafkajs's disconnect(), which waits for in-flight requests (up to the request timeout,
 * past the check's deadline) and adds a listener per waiting call. It destroys the client's sockets and
 * refuses it new ones (ClosableSockets), so retries kafkajs still runs for a check that has already answered
 * fail at once instead of opening connections nobody will close.
 */
import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Config } from '../config.js';
import { type BrokerMetadata, type BrokerProbe, HEALTH_TIMEOUT_MS } from '../health.js';
import {
  brokerConnection,
  forgetRefusedPassword,
  withBrokerCredentials,
} from './broker-security.js';
import { ClosableSockets } from './closable-sockets.js';

export { ClosableSockets } from './closable-sockets.js';

const { Kafka, logLevel } = kafkajs;

export type ProbeAdmin = Pick<
  Admin,
  'connect' | 'describeCluster' | 'fetchTopicMetadata' | 'fetchTopicOffsets'
>;
export type AdminFactory = (config: Config, sockets: ClosableSockets) => ProbeAdmin;

export const createAdminClient: AdminFactory = (config, sockets) =>
  new Kafka({
    clientId: `${config.clientId}-health`,
    ...brokerConnection(config),
    // The check's deadline, not kafkajs, decides when a check has waited too long. Checks share a client, and a
    // check that joins one waits on the requests already in flight on it, at most one deadline more: a request
    // that kafkajs gave up on sooner would fail a check that joined late, with whatever error kafkajs makes of
    // it, before its own deadline.
    requestTimeout: Math.max(config.requestTimeoutMs, 2 * HEALTH_TIMEOUT_MS + 1_000),
    socketFactory: sockets.socketFactory,
    // A couple of quick retries ride over one dead seed broker; more would only keep working after the
    // health check's deadline has already answered 503.
    retry: { retries: 2, initialRetryTime: config.retryInitialMs, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  }).admin();

/** One admin client and the checks using it. */
class SharedAdmin {
  users = 0;
  retired = false;
  /** A check on it found the cluster healthy. */
  healthy = false;
  readonly sockets = new ClosableSockets('the health check client');
  readonly admin: Promise<ProbeAdmin>;
  readonly connected: Promise<void>;

  constructor(config: Config, createAdmin: AdminFactory) {
    // The credentials first (a password in Secrets Manager is read once per container), then the client.
    this.admin = Promise.resolve(
      withBrokerCredentials(config, (resolved) => createAdmin(resolved, this.sockets)),
    );
    this.connected = this.admin.then((admin) => admin.connect());
    this.connected.catch(() => undefined);
  }

  closeIfIdle(): void {
    if (this.retired && this.users === 0) this.sockets.close();
  }
}

export class KafkaJsBrokerProbe implements BrokerProbe {
  private shared: SharedAdmin | undefined;

  constructor(
    private readonly config: Config,
    private readonly createAdmin: AdminFactory = createAdminClient,
  ) {}

  async fetchMetadata(
    signal: AbortSignal,
    clusterAnswered?: (metadata: BrokerMetadata) => void,
  ): Promise<BrokerMetadata> {
    const warm = this.shared?.healthy === true;
    try {
      return await this.attempt(signal, clusterAnswered);
    } catch (error) {
      // A warm client may hold a connection the broker has since closed (a broker restart, an idle timeout), and
      // kafkajs retries a metadata request on the connection it picked first: one more try, on a new client,
      // tells that apart from a cluster that cannot be reached.
      if (!warm || signal.aborted) throw error;
      return this.attempt(signal, clusterAnswered);
    }
  }

  /** Closes the client once no check uses it (a one-shot process must not be kept alive by it). */
  close(): void {
    if (this.shared) this.retire(this.shared);
  }

  private async attempt(
    signal: AbortSignal,
    clusterAnswered?: (metadata: BrokerMetadata) => void,
  ): Promise<BrokerMetadata> {
    this.shared ??= new SharedAdmin(this.config, this.createAdmin);
    const client = this.shared;
    client.users += 1;
    let released = false;
    const release = (healthy: boolean) => {
      if (released) return;
      released = true;
      signal.removeEventListener('abort', abandoned);
      if (healthy) client.healthy = true;
      else this.retire(client);
      client.users -= 1;
      client.closeIfIdle();
    };
    const abandoned = () => release(false);
    signal.addEventListener('abort', abandoned, { once: true });
    if (signal.aborted) abandoned();
    try {
      await client.connected;
      const metadata = await this.query(await client.admin, clusterAnswered);
      release(metadata.topicPartitions !== undefined && metadata.leaderProblem === undefined);
      return metadata;
    } catch (error) {
      release(false);
      forgetRefusedPassword(this.config, error);
      throw error;
    }
  }

  private retire(client: SharedAdmin): void {
    client.retired = true;
    if (this.shared === client) this.shared = undefined;
    client.closeIfIdle();
  }

  private async query(
    admin: ProbeAdmin,
    clusterAnswered?: (metadata: BrokerMetadata) => void,
  ): Promise<BrokerMetadata> {
    const { brokers } = await admin.describeCluster();
    const partitions = await this.partitions(admin);
    if (!partitions) return { brokers: brokers.length, topicPartitions: undefined };
    const cluster = { brokers: brokers.length, topicPartitions: partitions.length };
    clusterAnswered?.(cluster);
    return {
      ...cluster,
      leaderProblem: await this.leaderProblem(
        admin,
        partitions,
        new Set(brokers.map((b) => b.nodeId)),
      ),
    };
  }

  private async partitions(admin: ProbeAdmin) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.config.topic] });
      return topics.find((topic) => topic.name === this.config.topic)?.partitions;
    } catch (error) {
      // The cluster answered: it just has no such topic.
      if (isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return undefined;
      throw error;
    }
  }

  /** Why a partition has no leader that answers, or undefined when every one answered a ListOffsets. */
  private async leaderProblem(
    admin: ProbeAdmin,
    partitions: readonly { partitionId: number; leader: number }[],
    liveBrokers: ReadonlySet<number>,
  ): Promise<Error | undefined> {
    const leaderless = partitions.filter((partition) => !liveBrokers.has(partition.leader));
    if (leaderless.length > 0) {
      const ids = leaderless.map((partition) => partition.partitionId).join(', ');
      return new Error(`Partitions ${ids} of ${this.config.topic} have no leader in the metadata`);
    }
    try {
      await admin.fetchTopicOffsets(this.config.topic);
      return undefined;
    } catch (error) {
      return new Error(`A leader of ${this.config.topic} did not answer`, { cause: error });
    }
  }
}

const isKafkaError = (error: unknown, type: string) =>
  typeof error === 'object' && error !== null && 'type' in error && error.type === type;
