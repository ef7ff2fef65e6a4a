import { describe, expect, it } from '@jest/globals';
import { batchRequestSchema } from '../../../lib/batch-schema.js';
import { arrayElementsIn, MAX_BODY_ARRAY_ELEMENTS } from '../../../lib/http/body-shape.js';
import { MAX_BODY_BYTES } from '../../../lib/schemas.js';

describe('arrayElementsIn', () => {
  it('counts the values arrays hold, at any depth, and none of an object', () => {
    expect(arrayElementsIn('{"a":1,"b":2}')).toBe(0);
    expect(arrayElementsIn('[1,2,3]')).toBe(3);
    expect(arrayElementsIn('{"events":[{"items":[1,2]},{"items":[3]}]}')).toBe(5);
    expect(arrayElementsIn('[]')).toBe(1);
  });

  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    expect(arrayElementsIn('{"reason":"[1,2,3]"}')).toBe(0);
    expect(arrayElementsIn('["a \\" ,[,", "b"]')).toBe(2);
  });

  it('never refuses a valid request: the largest number of elements a valid body can hold is under the bound', () => {
    const item = { sku: 'a', quantity: 1, unitPrice: 0 };
    const order = (n: number) => ({
      eventType: 'order-created',
      orderId: `o-${n}`,
      customerId: 'c',
      items: Array.from({ length: 500 }, () => item),
      total: 0,
    });
    const events: unknown[] = [];
    let text = '';
    for (let n = 0; ; n += 1) {
      const next = JSON.stringify({ events: [...events, order(n)] });
      if (Buffer.byteLength(next) > MAX_BODY_BYTES) break;
      events.push(order(n));
      text = next;
    }
    expect(batchRequestSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(arrayElementsIn(text)).toBeGreaterThan(6_000);
    expect(arrayElementsIn(text)).toBeLessThan(MAX_BODY_ARRAY_ELEMENTS);
  });
});
