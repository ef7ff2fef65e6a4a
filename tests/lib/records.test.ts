// The record schemas exported to consumers (`order-events-publisher/events`, lib/records.ts): they read what
// the service writes, tell event types apart, and refuse what they cannot vouch for.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { eventTypes, parseRecord, recordValueSchemas } from '../../lib/records.js';
import { repoRoot } from '../e2e/support/service.js';

const run = promisify(execFile);

// The exported types match the fields the service writes: records.types.ts, checked by the compiler.
const record = (fields: object = { trackingNumber: '1Z999' }) =>
  toKafkaRecord(buildOrderEvent('order-shipped', 'o-1', fields), 'order-events', '/source');

describe('parseRecord', () => {
  it('reads a record as the service writes it, typed by its eventType', () => {
    const written = record();
    const parsed = parseRecord({ value: Buffer.from(written.value), headers: written.headers });
    expect(parsed).toEqual({
      ok: true,
      eventId: written.headers.ce_id,
      value: JSON.parse(written.value),
    });
  });

  it('drops a field it does not know, so that an added optional field breaks no consumer', () => {
    const written = record();
    const value = JSON.stringify({ ...JSON.parse(written.value), estimatedDelivery: 'tomorrow' });
    const parsed = parseRecord({ value, headers: written.headers });
    expect(parsed).toEqual({
      ok: true,
      eventId: written.headers.ce_id,
      value: JSON.parse(written.value),
    });
  });

  it.each([
    ['an unknown event type', { ce_type: 'order-teleported' }, undefined, /unknown ce_type/],
    [
      'another schema version',
      { ce_dataschema: 'urn:order-events-publisher:schema:order-shipped:v2' },
      undefined,
      /ce_dataschema/,
    ],
    ['a value that breaks the schema', {}, JSON.stringify({ trackingNumber: 1 }), /value/],
    ['a value that is not JSON', {}, '{', /not JSON/],
    [
      'a ce_id other than the eventId',
      { ce_id: '6c1f7d2e-0000-4000-8000-000000000000' },
      undefined,
      /ce_id/,
    ],
  ])('refuses %s', (_label, headers, value, reason) => {
    const written = record();
    const parsed = parseRecord({
      value: value ?? written.value,
      headers: { ...written.headers, ...headers },
    });
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('has a value schema for each event type', () => {
    expect(Object.keys(recordValueSchemas)).toEqual(eventTypes);
  });
});

describe('the package export order-events-publisher/events', () => {
  it('builds, and a plain Node.js consumer imports it by the package name', async () => {
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.events.json'], {
      cwd: repoRoot,
    });
    const written = record();
    const consumer = `
      import { parseRecord } from 'order-events-publisher/events';
      const parsed = parseRecord(JSON.parse(process.argv[1]));
      process.stdout.write(JSON.stringify(parsed));
    `;
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        consumer,
        JSON.stringify({ value: written.value, headers: written.headers }),
      ],
      { cwd: repoRoot },
    );
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      eventId: written.headers.ce_id,
      value: JSON.parse(written.value),
    });
  });
});
