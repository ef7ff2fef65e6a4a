// deploy/esbuild-kafkajs-encoder-buffers.cjs: a bundled kafkajs Encoder takes its buffers from Node's pool,
// whose bytes are not zeroed, and still puts on the wire exactly what kafkajs as installed does. The probe
// fills the pool with a marker byte first, so a byte an Encoder left unwritten would show in its output.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../e2e/support/service.js';
import { runBundled } from './support/bundle.js';

// Requests as a producer sends them: Produce v7 with headers, a null key, a value large enough to make the
// Encoders grow, and a Metadata request. Timestamps are fixed so that two processes encode the same bytes.
const probe = `
Buffer.poolSize = 1 << 20;
// Larger than what is left of the current pool, so Node starts a pool of the new size; then mark all of it.
const marked = Buffer.allocUnsafe(8192);
new Uint8Array(marked.buffer).fill(0xa5);
const Encoder = require('kafkajs/src/protocol/encoder');
const encodeRequest = require('kafkajs/src/protocol/request');
const produce = require('kafkajs/src/protocol/requests/produce');
const metadata = require('kafkajs/src/protocol/requests/metadata');
const fromPool = new Encoder().buf.buffer === marked.buffer;
const headers = { 'ce_id': 'b2d1c3e4', 'ce_type': 'com.example.order.created', traceparent: '00-' + '1'.repeat(32) + '-' + '2'.repeat(16) + '-01' };
const messages = [
  { key: 'order-1', value: JSON.stringify({ orderId: 'order-1', total: 12.5 }), headers, timestamp: '1764720000000' },
  { key: null, value: 'é'.repeat(1500), timestamp: '1764720000001' },
  { key: 'order-3', value: Buffer.from('raw bytes'), headers: { empty: '' }, timestamp: '1764720000002' },
];
(async () => {
  const { request } = produce.protocol({ version: 7 })({
    acks: -1, timeout: 30000, compression: 0, producerId: '4711', producerEpoch: 3,
    topicData: [{ topic: 'order-events', partitions: [{ partition: 2, firstSequence: 17, messages }] }],
  });
  const produced = await encodeRequest({ correlationId: 42, clientId: 'probe', request });
  const described = await encodeRequest({
    correlationId: 43, clientId: 'probe', request: metadata.protocol({ version: 5 })({ topics: ['order-events'] }).request,
  });
  console.log(JSON.stringify({ fromPool, produce: produced.buffer.toString('hex'), metadata: described.buffer.toString('hex') }));
})();
`;

type Encoded = { fromPool: boolean; produce: string; metadata: string };

const installed = (): Encoded =>
  JSON.parse(
    execFileSync(process.execPath, ['-e', probe], { cwd: repoRoot, encoding: 'utf8' }),
  ) as Encoded;

describe("kafkajs's Encoder, bundled", () => {
  it('takes its buffers from the pool, and encodes over marked bytes what kafkajs as installed encodes', async () => {
    const bundled = JSON.parse(await runBundled(probe)) as Encoded;
    const reference = installed();
    expect(bundled.fromPool).toBe(true);
    expect(reference.fromPool).toBe(false);
    expect(bundled.produce).toBe(reference.produce);
    expect(bundled.metadata).toBe(reference.metadata);
    // The value large enough to grow the Encoders is in the request, and no marker byte run is.
    expect(bundled.produce).toContain('c3a9'.repeat(1500));
    expect(bundled.produce).not.toContain('a5a5a5a5');
  });
});
