// A fixed, well-known bootstrap address (localhost:9092) in front of the mock brokers, which listen on
// ephemeral ports. Only bootstrap connections pass through here: the mock advertises its brokers' real
// 127.0.0.1:<port> addresses in Metadata, so clients connect to them directly afterwards.
import net from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface BootstrapProxyOptions {
  port: number;
  /** Called per connection so the proxy always sees the current broker list. */
  upstreams: () => Upstream[];
}

export interface BootstrapProxy {
  port: number;
  /** Addresses actually listened on: 127.0.0.1 always, ::1 when the host has IPv6 loopback. */
  hosts: string[];
  stop(): Promise<void>;
}

// `localhost` resolves to ::1 first on many hosts (Node >= 17 keeps the resolver's order), so listen there too.
const IPV6_UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export async function startBootstrapProxy(options: BootstrapProxyOptions): Promise<BootstrapProxy> {
  const sockets = new Set<net.Socket>();
  let nextUpstream = 0; // round-robin, so bootstrap load does not always land on broker 1

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const forward = (client: net.Socket) => {
    track(client);
    client.pause(); // hold the client's first request until an upstream is connected
    client.on('error', () => client.destroy());
    const candidates = options.upstreams();
    const start = nextUpstream++;
    const tryUpstream = (attempt: number) => {
      if (client.destroyed) return;
      // Every broker refused: behave like a down cluster and drop the client.
      const target = candidates[(start + attempt) % candidates.length];
      if (attempt >= candidates.length || !target) return void client.destroy();
      const upstream = net.connect({ host: target.host, port: target.port, noDelay: true });
      track(upstream);
      // A down mock broker closes its listener, so the connect fails fast and we move on.
      upstream.once('error', () => tryUpstream(attempt + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    tryUpstream(0);
  };

  const servers: net.Server[] = [];
  const hosts: string[] = [];
  const ipv4 = await listen(forward, options.port, '127.0.0.1');
  servers.push(ipv4);
  hosts.push('127.0.0.1');
  const port = (ipv4.address() as net.AddressInfo).port;
  try {
    servers.push(await listen(forward, port, '::1'));
    hosts.push('::1');
  } catch (error) {
    if (!IPV6_UNAVAILABLE.has((error as NodeJS.ErrnoException).code ?? '')) {
      await closeServer(ipv4);
      throw error;
    }
  }

  return {
    port,
    hosts,
    async stop() {
      const closing = servers.map(closeServer);
      for (const socket of sockets) socket.destroy(); // server.close() waits for these otherwise
      await Promise.all(closing);
    },
  };
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

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
