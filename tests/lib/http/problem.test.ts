import { describe, expect, it } from '@jest/globals';
import { invalidRequest, MAX_FIELD_ERRORS } from '../../../lib/http/problem.js';

describe('invalidRequest', () => {
  it('answers the first errors of many, and says how many more there were', () => {
    const errors = Array.from({ length: 150_000 }, (_, i) => ({
      path: `body.events.${i}.items.0.sku`,
      message: 'Invalid input: expected string, received undefined',
    }));
    const document = invalidRequest(errors).toDocument();
    expect(document.errors).toEqual(errors.slice(0, MAX_FIELD_ERRORS));
    expect(document.detail).toBe(
      'The request has 150000 invalid values; errors lists the first 20 (149980 more not shown).',
    );
    expect(JSON.stringify(document).length).toBeLessThan(4_096);
  });

  it('cuts a message that lists a whole body of unknown keys', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"k${i}"`).join(', ');
    const [error] = invalidRequest([{ path: 'body', message: `Unrecognized keys: ${keys}` }])
      .errors ?? [{ message: '' }];
    expect(error?.message.length).toBeLessThanOrEqual(201);
    expect(error?.message.startsWith('Unrecognized keys: "k0", "k1"')).toBe(true);
  });

  it('keeps a short list whole', () => {
    const document = invalidRequest([{ path: 'body.reason', message: 'Too small' }]).toDocument();
    expect(document).toMatchObject({
      detail: 'The request has 1 invalid value(s); see errors.',
      errors: [{ path: 'body.reason', message: 'Too small' }],
    });
  });
});
