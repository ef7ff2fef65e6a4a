/**
 * kafkajs's own socket factory, plus a switch that destroys every socket it made and refuses it new ones: how a
 * kafkajs client is ended at once. kafkajs's disconnect() waits for in-flight requests and cannot stop its
 * retrier, which would otherwise reconnect and go on sending after the work it served has been answered.
 */
import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export class ClosableSockets {
  /** `owner` names the client in the error its refused and destroyed sockets carry. */
  readonly #owner: string;

  constructor(owner = 'the client') {
    this.#owner = owner;
  }

  readonly #open = new Set<net.Socket>();
  #closed = false;

  readonly socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (this.#closed) {
      // kafkajs hears of it as a connection error (emitted on the next tick, after it has listened).
      const refused = new net.Socket();
      refused.destroy(new Error(`${this.#owner} is closed`));
      return refused;
    }
    // Node's TLS is loaded by the first TLS connection: a cold start against a plaintext listener (a broker
    // inside the VPC, the embedded broker) never pays for it.
    const socket = ssl
      ? process
          .getBuiltinModule('node:tls')
          .connect(
            { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl },
            onConnect,
          )
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    return socket;
  };

  get isClosed(): boolean {
    return this.#closed;
  }

  get openCount(): number {
    return this.#open.size;
  }

  close(): void {
    this.#closed = true;
    // With an error, so that kafkajs rejects what was in flight and stops its request-timeout timer.
    for (const socket of this.#open) socket.destroy(new Error(`${this.#owner} is closed`));
  }
}
