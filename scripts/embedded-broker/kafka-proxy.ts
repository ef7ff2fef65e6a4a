// A Kafka-protocol-aware proxy in front of the mock brokers, which listen on ephemeral ports and report
// controller id 0 (none of them). One listener per broker plus a fixed bootstrap (localhost:9092):
// - Metadata and FindCoordinator answers advertise the proxies' addresses, so clients keep talking through it,
//   and Metadata names a live broker as controller (kafkajs asks the controller for an idempotent producer id);
// - ApiVersions answers are capped to the versions it parses (see kafka-messages.ts);
// - faults a broker cannot produce itself: a hang (accepts, reads, never answers; of every request or of one
//   ApiKey's) and connection resets in the middle of a request;
// - a log of every Produce request that reached it.
import net from 'node:net';
import {
  type Address,
  API,
  capVersions,
  type ProducedRecord,
  readProduceRequest,
  rewriteFindCoordinator,
  rewriteMetadata,
} from './kafka-messages.js';
import { FrameSplitter, readCorrelationId, readRequestHeader } from './kafka-wire.js';

export const ALL_BROKERS = -1;
const ADVERTISED_HOST = '127.0.0.1';
const PRODUCE_LOG_LIMIT = 100_000;
/** The answers the proxy rewrites; only their requests are remembered (a Produce with acks=0 has none). */
const REWRITTEN: ReadonlySet<number> = new Set([
  API.apiVersions,
  API.metadata,
  API.findCoordinator,
]);

export interface UpstreamBroker extends Address {
  id: number;
}

export interface KafkaProxyOptions {
  bootstrapPort: number;
  brokers: UpstreamBroker[];
  /** Whether the mock broker is down (set so by the control API), to name a live one as controller. */
  isDown: (brokerId: number) => boolean;
}

export interface HangRule {
  /** A broker id, or ALL_BROKERS. */
  brokerId: number;
  /** Only requests with this ApiKey, the broker answering every other; every request when absent. */
  apiKey?: number;
}

export interface ResetRule {
  /** A broker id, or ALL_BROKERS. */
  brokerId: number;
  /** Only requests with this ApiKey; every request when absent. */
  apiKey?: number;
  /** How many requests; until cleared when absent. */
  count?: number;
}

/** What became of a Produce request at the proxy. */
export type ProduceOutcome = 'forwarded' | 'hung' | 'reset';

export interface ProduceLogEntry {
  brokerId: number;
  /** Date.now() when the whole request had arrived. */
  receivedAtMs: number;
  clientId: string | null;
  outcome: ProduceOutcome;
  records: ProducedRecord[];
}

export interface KafkaProxy {
  bootstrapPort: number;
  /** Addresses the bootstrap listens on: 127.0.0.1 always, ::1 when the host has IPv6 loopback. */
  bootstrapHosts: string[];
  /** The address each broker is advertised at. */
  brokerAddresses: ReadonlyMap<number, Address>;
  /** The broker (or every broker) accepts connections and request bytes but never answers, until cleared. */
  hang(rule: HangRule): void;
  /** Connections get destroyed (TCP reset) once a matching request has arrived, before it is forwarded. */
  reset(rule: ResetRule): void;
  /** Ends every hang and reset rule. */
  clearFaults(): void;
  produced(): ProduceLogEntry[];
  clearProduced(): void;
  stop(): Promise<void>;
}

// `localhost` resolves to ::1 first on many hosts (Node >= 17 keeps the resolver's order), so listen there too.
const IPV6_UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export async function startKafkaProxy(options: KafkaProxyOptions): Promise<KafkaProxy> {
  const sockets = new Set<net.Socket>();
  let hangRules: HangRule[] = [];
  let resetRules: { rule: ResetRule; left: number }[] = [];
  let produceLog: ProduceLogEntry[] = [];
  const brokerAddresses = new Map<number, Address>();

  /** Whether requests with that ApiKey hang; without one, whether the whole broker does. */
  const isHung = (brokerId: number, apiKey?: number) =>
    hangRules.some(
      (rule) =>
        (rule.brokerId === ALL_BROKERS || rule.brokerId === brokerId) &&
        (rule.apiKey === undefined || rule.apiKey === apiKey),
    );
  const controllerId = (ids: number[]) =>
    ids.find((id) => !options.isDown(id) && !isHung(id)) ?? ids[0] ?? 0;
  const addressOf = (id: number) => brokerAddresses.get(id);

  const takeReset = (brokerId: number, apiKey: number): boolean => {
    const match = resetRules.find(
      ({ rule, left }) =>
        left > 0 &&
        (rule.brokerId === ALL_BROKERS || rule.brokerId === brokerId) &&
        (rule.apiKey === undefined || rule.apiKey === apiKey),
    );
    if (match) match.left -= 1;
    return match !== undefined;
  };

  const logProduce = (entry: ProduceLogEntry) => {
    produceLog.push(entry);
    if (produceLog.length > PRODUCE_LOG_LIMIT) produceLog.shift();
  };

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  /** Relays one client connection to one broker, frame by frame. */
  const relay = (client: net.Socket, broker: UpstreamBroker, upstream: net.Socket) => {
    const inFlight = new Map<number, { apiKey: number; apiVersion: number }>();
    const requests = new FrameSplitter();
    const responses = new FrameSplitter();
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', close).once('close', close);
    client.on('error', close).once('close', close);

    client.on('data', (chunk: Buffer) => {
      for (const frame of requests.push(chunk)) {
        if (client.destroyed) return;
        const header = readRequestHeader(frame);
        const reset = takeReset(broker.id, header.apiKey);
        const outcome: ProduceOutcome = reset
          ? 'reset'
          : isHung(broker.id, header.apiKey)
            ? 'hung'
            : 'forwarded';
        if (header.apiKey === API.produce)
          logProduce({ brokerId: broker.id, receivedAtMs: Date.now(), outcome, ...produce(frame) });
        if (outcome === 'reset') {
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        if (outcome === 'hung') continue; // read and never answered
        if (REWRITTEN.has(header.apiKey)) inFlight.set(header.correlationId, header);
        upstream.write(frame);
      }
    });

    upstream.on('data', (chunk: Buffer) => {
      for (const frame of responses.push(chunk)) {
        const correlationId = readCorrelationId(frame);
        const request = inFlight.get(correlationId);
        inFlight.delete(correlationId);
        if (isHung(broker.id)) continue; // answers that were on their way when the hang began
        client.write(request ? rewrite(frame, request.apiKey, request.apiVersion) : frame);
      }
    });
    client.resume();
  };

  const rewrite = (frame: Buffer, apiKey: number, apiVersion: number): Buffer => {
    if (apiKey === API.apiVersions) return capVersions(frame, apiVersion);
    if (apiKey === API.metadata) return rewriteMetadata(frame, apiVersion, addressOf, controllerId);
    if (apiKey === API.findCoordinator) return rewriteFindCoordinator(frame, apiVersion, addressOf);
    return frame;
  };

  /** Connects the client to the first candidate that accepts, or drops it as a down cluster would. */
  const connect = (client: net.Socket, candidates: UpstreamBroker[]) => {
    track(client);
    client.pause(); // hold the client's first request until an upstream is connected
    client.on('error', () => client.destroy());
    const attempt = (index: number) => {
      const broker = candidates[index];
      if (client.destroyed) return;
      if (!broker) return void client.destroy();
      const upstream = net.connect({ host: broker.host, port: broker.port, noDelay: true });
      track(upstream);
      // A down mock broker closes its listener, so the connect fails fast.
      upstream.once('error', () => attempt(index + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        client.setNoDelay(true);
        relay(client, broker, upstream);
      });
    };
    attempt(0);
  };

  let nextBootstrap = 0; // round-robin, so bootstrap load does not always land on broker 1
  const servers: net.Server[] = [];
  const listenOn = async (port: number, host: string, onConnection: (s: net.Socket) => void) => {
    const server = await listen(onConnection, port, host);
    servers.push(server);
    return (server.address() as net.AddressInfo).port;
  };

  try {
    for (const broker of options.brokers) {
      const port = await listenOn(0, ADVERTISED_HOST, (client) => connect(client, [broker]));
      brokerAddresses.set(broker.id, { host: ADVERTISED_HOST, port });
    }
    const onBootstrap = (client: net.Socket) => {
      const start = nextBootstrap++;
      const { brokers } = options;
      connect(
        client,
        brokers.map((_, i) => brokers[(start + i) % brokers.length] as UpstreamBroker),
      );
    };
    const bootstrapPort = await listenOn(options.bootstrapPort, '127.0.0.1', onBootstrap);
    const bootstrapHosts = ['127.0.0.1'];
    try {
      await listenOn(bootstrapPort, '::1', onBootstrap);
      bootstrapHosts.push('::1');
    } catch (error) {
      if (!IPV6_UNAVAILABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }

    return {
      bootstrapPort,
      bootstrapHosts,
      brokerAddresses,
      hang: (rule) => void hangRules.push(rule),
      reset: (rule) => void resetRules.push({ rule, left: rule.count ?? Number.POSITIVE_INFINITY }),
      clearFaults: () => {
        hangRules = [];
        resetRules = [];
      },
      produced: () => [...produceLog],
      clearProduced: () => {
        produceLog = [];
      },
      stop: () => closeAll(servers, sockets),
    };
  } catch (error) {
    await closeAll(servers, sockets);
    throw error;
  }
}

function produce(frame: Buffer): { clientId: string | null; records: ProducedRecord[] } {
  try {
    return readProduceRequest(frame, readRequestHeader(frame).apiVersion);
  } catch {
    return { clientId: null, records: [] }; // still counted as a request, whatever its contents
  }
}

function listen(
  onConnection: (socket: net.Socket) => void,
  port: number,
  host: string,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onConnection);
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

async function closeAll(servers: net.Server[], sockets: Set<net.Socket>): Promise<void> {
  const closing = servers.map(
    (server) => new Promise<void>((resolve) => server.close(() => resolve())),
  );
  for (const socket of sockets) socket.destroy(); // server.close() waits for these otherwise
  await Promise.all(closing);
}
