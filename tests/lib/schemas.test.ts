import { describe, expect, it } from '@jest/globals';
import {
  orderCancelledSchema,
  orderCreatedSchema,
  orderIdSchema,
  orderShippedSchema,
} from '../../lib/schemas.js';
import { validOrder } from '../support/events.js';

const issuePaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join('.'));

describe('orderIdSchema', () => {
  it.each(['a', 'order-1', 'ORD_2026.11:27', 'x'.repeat(64)])('accepts %s', (orderId) => {
    expect(orderIdSchema.safeParse(orderId).success).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'order 1', 'order/1', 'ördér', 'a\nb', '%2F'])(
    'rejects %j',
    (orderId) => {
      expect(orderIdSchema.safeParse(orderId).success).toBe(false);
    },
  );

  it('rejects what is not a string', () => {
    expect(orderIdSchema.safeParse(42).success).toBe(false);
  });
});

describe('orderCreatedSchema', () => {
  it('accepts a valid order and defaults currency to USD', () => {
    expect(orderCreatedSchema.parse(validOrder)).toEqual({ ...validOrder, currency: 'USD' });
  });

  it('keeps a given currency', () => {
    expect(orderCreatedSchema.parse({ ...validOrder, currency: 'EUR' }).currency).toBe('EUR');
  });

  it.each([
    ['an empty items list', { items: [] }, 'items'],
    ['a zero quantity', { items: [{ sku: 'A', quantity: 0, unitPrice: 1 }] }, 'items.0.quantity'],
    [
      'a fractional quantity',
      { items: [{ sku: 'A', quantity: 1.5, unitPrice: 1 }] },
      'items.0.quantity',
    ],
    [
      'a negative unit price',
      { items: [{ sku: 'A', quantity: 1, unitPrice: -1 }] },
      'items.0.unitPrice',
    ],
    [
      'an unknown item field',
      { items: [{ sku: 'A', quantity: 1, unitPrice: 1, colour: 'red' }] },
      'items.0',
    ],
    ['an empty sku', { items: [{ sku: '', quantity: 1, unitPrice: 1 }] }, 'items.0.sku'],
    ['a negative total', { total: -0.01 }, 'total'],
    ['an infinite total', { total: Number.POSITIVE_INFINITY }, 'total'],
    ['a NaN total', { total: Number.NaN }, 'total'],
    ['a total given as a string', { total: '19' }, 'total'],
    ['a lower-case currency', { currency: 'usd' }, 'currency'],
    ['a four-letter currency', { currency: 'EURO' }, 'currency'],
    ['an empty customerId', { customerId: '' }, 'customerId'],
    ['an overlong customerId', { customerId: 'c'.repeat(65) }, 'customerId'],
    ['a bad orderId', { orderId: 'has space' }, 'orderId'],
    ['a misspelt field', { totl: 19 }, ''],
  ])('rejects %s', (_, change, path) => {
    expect(issuePaths(orderCreatedSchema.safeParse({ ...validOrder, ...change }))).toContain(path);
  });

  it.each(['orderId', 'customerId', 'items', 'total'])('requires %s', (field) => {
    const order: Record<string, unknown> = { ...validOrder };
    delete order[field];
    expect(issuePaths(orderCreatedSchema.safeParse(order))).toContain(field);
  });

  it('rejects a __proto__ key rather than merging it', () => {
    const body = JSON.parse(
      `{"orderId":"o-1","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":1}],"total":1,"__proto__":{"polluted":true}}`,
    );
    const result = orderCreatedSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('orderShippedSchema', () => {
  it('accepts a tracking number with or without a carrier', () => {
    expect(orderShippedSchema.parse({ trackingNumber: '1Z999' })).toEqual({
      trackingNumber: '1Z999',
    });
    expect(orderShippedSchema.parse({ trackingNumber: '1Z999', carrier: 'UPS' })).toEqual({
      trackingNumber: '1Z999',
      carrier: 'UPS',
    });
  });

  it.each([
    ['a missing tracking number', {}, 'trackingNumber'],
    ['an empty tracking number', { trackingNumber: '' }, 'trackingNumber'],
    ['an empty carrier', { trackingNumber: 'T', carrier: '' }, 'carrier'],
    ['a numeric carrier', { trackingNumber: 'T', carrier: 7 }, 'carrier'],
    [
      'an orderId in the body (it belongs in the path)',
      { trackingNumber: 'T', orderId: 'o-1' },
      '',
    ],
  ])('rejects %s', (_, body, path) => {
    expect(issuePaths(orderShippedSchema.safeParse(body))).toContain(path);
  });
});

describe('orderCancelledSchema', () => {
  it('accepts a reason', () => {
    expect(orderCancelledSchema.parse({ reason: 'customer request' })).toEqual({
      reason: 'customer request',
    });
  });

  it.each([
    ['a missing reason', {}, 'reason'],
    ['an empty reason', { reason: '' }, 'reason'],
    ['an overlong reason', { reason: 'r'.repeat(1025) }, 'reason'],
    ['an extra field', { reason: 'r', refund: true }, ''],
  ])('rejects %s', (_, body, path) => {
    expect(issuePaths(orderCancelledSchema.safeParse(body))).toContain(path);
  });

  it('rejects what is not an object', () => {
    for (const body of [null, [], 'reason', 3])
      expect(orderCancelledSchema.safeParse(body).success).toBe(false);
  });
});
