import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClosableSockets } from '../../../lib/producer/closable-sockets.js';

/** A loopback TCP server that counts the connections it accepted and sees closed. */
const listening = async () => {
  const accepted: net.Socket[] = [];
  let closed = 0;
  const server = net.createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    accepted,
    closedCount: () => closed,
    stop: () => {
      for (const socket of accepted) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

type Server = Awaited<ReturnType<typeof listening>>;

const connected = (sockets: ClosableSockets, port: number) =>
  new Promise<net.Socket>((resolve) => {
    const socket: net.Socket = sockets.socketFactory({
      host: '127.0.0.1',
      port,
      ssl: false as never,
      onConnect: () => resolve(socket),
    }) as net.Socket;
    // As kafkajs does: a socket destroyed with an error must not throw it as an unhandled 'error' event.
    socket.on('error', () => undefined);
  });

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  return condition();
};

describe('ClosableSockets', () => {
  let server: Server;
  beforeEach(async () => {
    server = await listening();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('connects as kafkajs asks (host, port, then onConnect) and counts the sockets it keeps open', async () => {
    const sockets = new ClosableSockets();
    const first = await connected(sockets, server.port);
    await connected(sockets, server.port);
    expect(sockets.openCount).toBe(2);
    expect(await until(() => server.accepted.length === 2)).toBe(true);
    first.destroy();
    expect(await until(() => sockets.openCount === 1)).toBe(true);
    sockets.close();
  });

  it('destroys every open socket on close, with an error that names its owner', async () => {
    const sockets = new ClosableSockets('a retired producer');
    const socket = await connected(sockets, server.port);
    const failure = new Promise<Error>((resolve) => socket.once('error', resolve));
    sockets.close();
    expect(sockets.isClosed).toBe(true);
    expect((await failure).message).toBe('a retired producer is closed');
    expect(socket.destroyed).toBe(true);
    expect(await until(() => server.closedCount() === 1)).toBe(true);
    expect(await until(() => sockets.openCount === 0)).toBe(true);
  });

  it('speaks TLS when kafkajs asks for it, naming a host name as the server (SNI), and closes that socket too', async () => {
    const sockets = new ClosableSockets();
    const socket = sockets.socketFactory({
      host: 'localhost',
      port: server.port,
      ssl: { rejectUnauthorized: false } as never,
      onConnect: () => undefined,
    }) as net.Socket;
    socket.on('error', () => undefined);
    expect(await until(() => server.accepted.length === 1)).toBe(true);
    const [accepted] = server.accepted;
    const hello = await new Promise<Buffer>((resolve) => accepted?.once('data', resolve));
    // A TLS record of type handshake (22), version 3.x: a ClientHello, which carries the server name.
    expect([hello[0], hello[1]]).toEqual([22, 3]);
    expect(hello.includes(Buffer.from('localhost'))).toBe(true);
    expect(sockets.openCount).toBe(1);
    sockets.close();
    expect(socket.destroyed).toBe(true);
  });

  it('refuses new sockets once closed: each comes back destroyed, and no connection reaches the server', async () => {
    const sockets = new ClosableSockets('a retired producer');
    sockets.close();
    let connectedAnyway = false;
    const refused = sockets.socketFactory({
      host: '127.0.0.1',
      port: server.port,
      ssl: false as never,
      onConnect: () => {
        connectedAnyway = true;
      },
    }) as net.Socket;
    const failure = await new Promise<Error>((resolve) => refused.once('error', resolve));
    expect(failure.message).toBe('a retired producer is closed');
    expect(refused.destroyed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connectedAnyway).toBe(false);
    expect(server.accepted).toHaveLength(0);
    expect(sockets.openCount).toBe(0);
  });
});
