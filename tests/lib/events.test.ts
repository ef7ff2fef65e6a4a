import { describe, expect, it } from '@jest/globals';
import { buildOrderEvent, requestDigest, stableEventId, toKafkaRecord } from '../../lib/events.js';

const fixed = {
  newId: () => '7d444840-9dc0-11d1-b245-5ffdce74fad2',
  now: () => new Date('2026-11-27T12:00:00.123Z'),
};

describe('buildOrderEvent', () => {
  it('puts the envelope first and the event fields after it', () => {
    const event = buildOrderEvent('order-shipped', 'o-1', { trackingNumber: 'T1' }, fixed);
    expect(event).toEqual({
      eventId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
      eventType: 'order-shipped',
      orderId: 'o-1',
      timestamp: '2026-11-27T12:00:00.123Z',
      trackingNumber: 'T1',
    });
    expect(Object.keys(event).slice(0, 4)).toEqual([
      'eventId',
      'eventType',
      'orderId',
      'timestamp',
    ]);
  });

  it('never lets a field overwrite the envelope', () => {
    const event = buildOrderEvent(
      'order-cancelled',
      'o-1',
      { eventId: 'forged', orderId: 'other' },
      fixed,
    );
    expect(event.eventId).toBe('7d444840-9dc0-11d1-b245-5ffdce74fad2');
    expect(event.orderId).toBe('o-1');
  });

  it('gives every event a new UUID and a UTC ISO 8601 timestamp by default', () => {
    const first = buildOrderEvent('order-cancelled', 'o-1', { reason: 'r' });
    const second = buildOrderEvent('order-cancelled', 'o-1', { reason: 'r' });
    expect(first.eventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(second.eventId).not.toBe(first.eventId);
    expect(first.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('toKafkaRecord', () => {
  it('keys by orderId and carries CloudEvents binary-mode headers', () => {
    const event = buildOrderEvent('order-cancelled', 'o-9', { reason: 'r' }, fixed);
    expect(toKafkaRecord(event, 'order-events', '/order-events-publisher')).toEqual({
      topic: 'order-events',
      key: 'o-9',
      value: JSON.stringify(event),
      headers: {
        ce_specversion: '1.0',
        ce_id: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
        ce_type: 'order-cancelled',
        ce_source: '/order-events-publisher',
        ce_time: '2026-11-27T12:00:00.123Z',
        ce_subject: 'o-9',
        ce_dataschema: 'urn:order-events-publisher:schema:order-cancelled:v1',
        'content-type': 'application/json',
      },
      timestamp: String(Date.parse('2026-11-27T12:00:00.123Z')),
    });
  });

  it('carries the trace context as W3C headers and CloudEvents extension attributes', () => {
    const event = buildOrderEvent('order-cancelled', 'o-9', { reason: 'r' }, fixed);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { headers } = toKafkaRecord(event, 'order-events', '/order-events-publisher', {
      correlationId: 'corr-1',
      traceparent,
      tracestate: 'vendor=1',
    });
    expect(headers).toMatchObject({
      traceparent,
      ce_traceparent: traceparent,
      tracestate: 'vendor=1',
      ce_tracestate: 'vendor=1',
      ce_correlationid: 'corr-1',
    });
  });
});

describe('stableEventId', () => {
  const of = {
    caller: 'caller-a',
    route: 'order-events-batch',
    key: 'key-1',
    request: requestDigest([{ orderId: 'o-1' }]),
    index: 0,
  };

  it('is a version-5 UUID that the same caller, route, key, request and index always derive again', () => {
    expect(stableEventId(of)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(stableEventId({ ...of })).toBe(stableEventId(of));
  });

  it.each([
    ['caller', { caller: 'caller-b' }],
    ['route', { route: 'order-created' }],
    ['key', { key: 'key-2' }],
    ['request', { request: requestDigest([{ orderId: 'o-2' }]) }],
    ['index', { index: 1 }],
  ])('differs when the %s differs', (_, change) => {
    expect(stableEventId({ ...of, ...change })).not.toBe(stableEventId(of));
  });

  it('cannot be forged by moving text between fields', () => {
    expect(stableEventId({ ...of, caller: 'a', key: 'b"c' })).not.toBe(
      stableEventId({ ...of, caller: 'a","b', key: 'c' }),
    );
  });
});
