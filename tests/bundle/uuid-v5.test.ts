// deploy/shims/uuid-v5.ts, bundled in place of the uuid package (deploy/esbuild-uuid-v5-node-crypto.cjs),
// derives the same name-based UUIDs as uuid's v5, so an Idempotency-Key retry gets the eventIds it got before.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { v5 as reference } from 'uuid';
import { v5 } from '../../deploy/shims/uuid-v5.js';

describe('the uuid v5 shim', () => {
  it('gives the UUID uuid gives, for any name and namespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uuid(), (name, namespace) => {
        expect(v5(name, namespace)).toBe(reference(name, namespace));
      }),
      { numRuns: 500 },
    );
  });

  it("gives RFC 9562's own example: www.example.com in the DNS namespace", () => {
    expect(v5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('refuses a namespace that is not a UUID, as uuid does', () => {
    expect(() => v5('name', 'not-a-uuid')).toThrow(TypeError);
    expect(() => reference('name', 'not-a-uuid')).toThrow(TypeError);
  });
});
