// Runs the embedded broker as its own process: `npx tsx scripts/embedded-broker/main.ts [--exit-on-stdin-close]`.
// stdout carries exactly one JSON line once ready (machine-readable for parents); all prose goes to stderr.
// A loopback HTTP control API lets tests in another process inject faults:
//   GET    /health                      -> {ok, bootstrap, brokerIds}
//   POST   /brokers/:id/down            (id -1 = every broker)
//   POST   /brokers/:id/up
//   POST   /brokers/:id/rtt             body {"ms": N}
//   POST   /request-errors              body {"apiKey": 0, "codes": [6, 6, 7]}
//   DELETE /request-errors[?apiKey=N]
// and faults at the Kafka proxy in front of the brokers (see kafka-proxy.ts):
//   POST   /brokers/:id/hang            body {"apiKey"?: K}: accepts connections and request bytes, never answers
//                                       (open connections included; requests that arrive meanwhile are dropped)
//                                       until cleared; with an apiKey, only requests with that ApiKey hang
//   POST   /brokers/:id/reset           body {"count"?: N, "apiKey"?: K}: the next N matching requests (all until
//                                       cleared when no count) have their connection reset once they arrived,
//                                       without reaching the broker
//   DELETE /proxy-faults                clears every hang and reset
//   GET    /produced                    -> [{brokerId, receivedAtMs, clientId, outcome, records: [{topic,
//                                       partition, key, ceId}]}]: every Produce request that reached the proxy
//   DELETE /produced                    empties that log
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stopWhenStdinCloses } from '../stop-child.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './index.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const log = (message: string) => process.stderr.write(`[embedded-broker] ${message}\n`);

function integer(value: unknown, name: string): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed))
    throw new HttpError(400, `${name} must be an integer`);
  return parsed;
}

function positive(value: unknown, name: string): number {
  const parsed = integer(value, name);
  if (parsed < 1) throw new HttpError(400, `${name} must be at least 1`);
  return parsed;
}

async function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  if (text.trim() === '') return {};
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body))
      return body as Record<string, unknown>;
  } catch {
    // fall through to the 400 below
  }
  throw new HttpError(400, 'body must be a JSON object');
}

async function route(broker: EmbeddedBroker, request: http.IncomingMessage): Promise<object> {
  const url = new URL(request.url ?? '/', 'http://control');
  const method = request.method ?? 'GET';
  const brokerAction = /^\/brokers\/(-?\d+)\/(down|up|rtt|hang|reset)$/.exec(url.pathname);

  if (method === 'GET' && url.pathname === '/health') {
    return { ok: true, bootstrap: broker.bootstrap, brokerIds: broker.brokerIds };
  }
  if (method === 'POST' && brokerAction) {
    const id = integer(brokerAction[1], 'broker id');
    const action = brokerAction[2];
    if (action === 'down') broker.faults.brokerDown(id);
    else if (action === 'up') broker.faults.brokerUp(id);
    else if (action === 'hang') {
      const body = await readJson(request);
      broker.faults.hang({
        brokerId: id,
        ...(body.apiKey === undefined ? {} : { apiKey: integer(body.apiKey, 'apiKey') }),
      });
    } else if (action === 'rtt')
      broker.faults.setRtt(id, integer((await readJson(request)).ms, 'ms'));
    else {
      const body = await readJson(request);
      broker.faults.reset({
        brokerId: id,
        ...(body.count === undefined ? {} : { count: positive(body.count, 'count') }),
        ...(body.apiKey === undefined ? {} : { apiKey: integer(body.apiKey, 'apiKey') }),
      });
    }
    return { ok: true };
  }
  if (method === 'DELETE' && url.pathname === '/proxy-faults') {
    broker.faults.clearProxyFaults();
    return { ok: true };
  }
  if (method === 'GET' && url.pathname === '/produced') return broker.produced();
  if (method === 'DELETE' && url.pathname === '/produced') {
    broker.clearProduced();
    return { ok: true };
  }
  if (method === 'POST' && url.pathname === '/request-errors') {
    const body = await readJson(request);
    if (!Array.isArray(body.codes)) throw new HttpError(400, 'codes must be an array of integers');
    const codes = body.codes.map((code) => integer(code, 'codes[]'));
    broker.faults.pushRequestErrors(integer(body.apiKey, 'apiKey'), codes);
    return { ok: true };
  }
  if (method === 'DELETE' && url.pathname === '/request-errors') {
    const apiKey = url.searchParams.get('apiKey');
    broker.faults.clearRequestErrors(apiKey === null ? undefined : integer(apiKey, 'apiKey'));
    return { ok: true };
  }
  throw new HttpError(404, `no route ${method} ${url.pathname}`);
}

function startControlServer(broker: EmbeddedBroker, port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    route(broker, request).then(
      (body) => reply(response, 200, body),
      // librdkafka rejections (e.g. unknown broker id) are caller mistakes, not server faults
      (error: Error) =>
        reply(response, error instanceof HttpError ? error.status : 400, { error: error.message }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function reply(response: http.ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker();
  let control: http.Server | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${reason})`);
    if (control) {
      control.closeAllConnections();
      await new Promise((resolve) => control?.close(resolve));
    }
    await broker.stop();
    process.exit(code); // stdin and signal listeners would otherwise keep the loop alive
  };

  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  if (process.argv.includes('--exit-on-stdin-close'))
    stopWhenStdinCloses((reason) => void shutdown(reason, 0));

  try {
    control = await startControlServer(
      broker,
      Number(process.env.EMBEDDED_BROKER_CONTROL_PORT ?? 0),
    );
  } catch (error) {
    await broker.stop();
    throw error;
  }
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', bootstrap: broker.bootstrap, control: controlUrl, brokerIds: broker.brokerIds })}\n`,
  );
  log(`ready: Kafka bootstrap ${broker.bootstrap}, control API ${controlUrl}`);
}

main().catch((error: unknown) => {
  log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
