import { describe, expect, it } from '@jest/globals';
import { traceContextOf, traceparentFromXRay } from '../../../lib/http/trace-context.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const xray = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

describe('traceContextOf', () => {
  it("takes the caller's traceparent and tracestate, whatever the header's case", () => {
    expect(
      traceContextOf(
        { TraceParent: traceparent, tracestate: 'vendor=1', 'x-correlation-id': 'c-1' },
        xray,
      ),
    ).toEqual({ correlationId: 'c-1', traceparent, tracestate: 'vendor=1' });
  });

  it("falls back to Lambda's X-Ray trace when the request has no valid traceparent", () => {
    const context = traceContextOf({ traceparent: 'not-a-traceparent', tracestate: 'x=1' }, xray);
    expect(context.traceparent).toBe('00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01');
    expect(context.tracestate).toBeUndefined();
  });

  it.each([
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  ])('drops the invalid traceparent %s', (invalid) => {
    expect(traceContextOf({ traceparent: invalid }, undefined).traceparent).toBeUndefined();
  });

  it('makes up a correlation id when the request has none', () => {
    const first = traceContextOf({}, undefined).correlationId;
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(traceContextOf({}, undefined).correlationId).not.toBe(first);
  });

  it.each(['', 'with space', 'x'.repeat(129), 'tab\there'])(
    'refuses the correlation id %j',
    (id) => {
      expect(() => traceContextOf({ 'x-correlation-id': id }, undefined)).toThrow(/invalid value/);
    },
  );
});

describe('traceparentFromXRay', () => {
  it('reads an unsampled trace as flags 00', () => {
    expect(traceparentFromXRay(xray.replace('Sampled=1', 'Sampled=0'))).toMatch(/-00$/);
  });

  it.each([
    undefined,
    '',
    'Root=1-5759e988-bd862e3fe1be46a994272793',
    'Root=garbage;Parent=53995c3f42cd8ad8',
  ])('gives nothing for %j', (value) => {
    expect(traceparentFromXRay(value)).toBeUndefined();
  });
});
