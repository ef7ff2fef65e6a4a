// Schema evolution without a registry: a record schema changed in a way an existing consumer could not read
// fails `npm test` unless the event type's version changed (scripts/contract/compatibility.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import * as z from 'zod/mini';
import { buildAsyncApiDocument } from '../../lib/asyncapi.js';
import {
  breakingChanges,
  type ContractDocument,
  describeBreakingChanges,
} from '../../scripts/contract/compatibility.js';
import { repoRoot } from '../e2e/support/service.js';

type Property = Record<string, unknown>;
type Schema = Record<string, unknown> & {
  properties: Record<string, Property>;
  required: string[];
};

const generated = (): ContractDocument =>
  JSON.parse(JSON.stringify(buildAsyncApiDocument())) as ContractDocument;

/** The generated document, with one message's payload schema edited as a developer might. */
const withPayload = (
  messageName: string,
  edit: (payload: Schema) => void,
  newVersion = false,
): ContractDocument => {
  const document = generated();
  const message = Object.values(document.components.messages).find(
    (candidate) => candidate.name === messageName,
  )!;
  edit(message.payload as Schema);
  if (newVersion) message.payload.$id = String(message.payload.$id).replace(/:v1$/, ':v2');
  return document;
};

describe('the record schemas', () => {
  it('are compatible with the committed asyncapi.json', async () => {
    const committed = JSON.parse(
      readFileSync(path.join(repoRoot, 'asyncapi.json'), 'utf8'),
    ) as ContractDocument;
    const breaking = await breakingChanges(committed, generated());
    expect(describeBreakingChanges(breaking)).toBe('');
  });
});

describe('the compatibility check', () => {
  const breakingEdits: [string, string, (payload: Schema) => void][] = [
    [
      'a field removed',
      'order-created',
      (payload) => {
        delete payload.properties.customerId;
        payload.required = payload.required.filter((name) => name !== 'customerId');
      },
    ],
    ['a field made required', 'order-shipped', (payload) => payload.required.push('carrier')],
    [
      'a type narrowed',
      'order-created',
      (payload) => {
        payload.properties.total = { type: 'integer', minimum: 0 };
      },
    ],
    [
      'a bound narrowed, inside an array item',
      'order-created',
      (payload) => {
        const item = payload.properties.items!.items as Schema;
        item.properties.sku!.maxLength = 8;
      },
    ],
    [
      'an enum value dropped',
      'order-cancelled',
      (payload) => {
        // As if `reason` were z.enum(['customer request', 'out of stock']), and one value went.
        payload.properties.reason = { type: 'string', enum: ['customer request'] };
      },
    ],
  ];

  it.each(breakingEdits)(
    'fails on %s under the same version',
    async (_label, messageName, edit) => {
      const before = withPayload(messageName, (payload) => {
        if (messageName === 'order-cancelled')
          payload.properties.reason = {
            type: 'string',
            enum: ['customer request', 'out of stock'],
          };
      });
      const changes = await breakingChanges(before, withPayload(messageName, edit));
      expect(changes.length).toBeGreaterThan(0);
      for (const change of changes)
        expect(change).toMatchObject({
          eventType: messageName,
          dataschema: `urn:order-events-publisher:schema:${messageName}:v1`,
        });
      expect(describeBreakingChanges(changes)).toContain("raise the event type's version");
    },
  );

  it.each(breakingEdits)('passes %s with a new version', async (_label, messageName, edit) => {
    expect(await breakingChanges(generated(), withPayload(messageName, edit, true))).toEqual([]);
  });

  // The schemas are closed: a consumer built on the committed document rejects a value with a field it does not
  // know, or beyond a bound it had.
  it.each([
    [
      'an optional field added',
      (payload: Schema) => {
        payload.properties.estimatedDelivery = { type: 'string' };
      },
    ],
    [
      'a bound widened',
      (payload: Schema) => {
        payload.properties.trackingNumber!.maxLength = 256;
      },
    ],
    [
      'an enum value added',
      (payload: Schema) => {
        payload.properties.carrier = { type: 'string', enum: ['UPS', 'DHL', 'FedEx'] };
      },
    ],
  ])(
    'fails on %s under the same version: consumers of the committed schema would reject the new records',
    async (_label, edit) => {
      const before = withPayload('order-shipped', (payload) => {
        payload.properties.carrier = { type: 'string', enum: ['UPS', 'DHL'] };
      });
      const changes = await breakingChanges(
        before,
        withPayload('order-shipped', (payload) => {
          payload.properties.carrier = { type: 'string', enum: ['UPS', 'DHL'] };
          edit(payload);
        }),
      );
      expect(changes.map((change) => change.detail)).toEqual([
        expect.stringContaining('a consumer of the committed schema rejects'),
      ]);
    },
  );

  it('passes a change that accepts exactly what it accepted: a description reworded', async () => {
    const reworded = withPayload('order-shipped', (payload) => {
      payload.properties.trackingNumber!.description = 'The carrier’s tracking number, as printed.';
    });
    expect(await breakingChanges(generated(), reworded)).toEqual([]);
  });

  it('fails on a second pattern (written as allOf) or a multipleOf, which json-schema-diff does not read', async () => {
    const currencyOf = (payload: Schema) => payload.properties.currency!;
    const twoPatterns = withPayload('order-created', (payload) => {
      const { pattern, ...rest } = currencyOf(payload);
      payload.properties.currency = {
        ...rest,
        allOf: [{ pattern }, { pattern: '^(USD|EUR|GBP)$' }],
      };
    });
    expect((await breakingChanges(generated(), twoPatterns)).map((c) => c.detail)).toEqual([
      expect.stringContaining('value: /properties/currency: patterns'),
    ]);
    const cents = withPayload('order-created', (payload) => {
      payload.properties.total!.multipleOf = 0.01;
    });
    expect((await breakingChanges(generated(), cents)).map((c) => c.detail)).toEqual([
      expect.stringContaining('value: /properties/total: multipleOf null became 0.01'),
    ]);
  });

  it('compares the headers and the key too', async () => {
    const document = generated();
    const message = Object.values(document.components.messages).find(
      (candidate) => candidate.name === 'order-cancelled',
    )!;
    (message.headers!.required as string[]).push('ce_correlationid');
    (message.bindings!.kafka!.key as Record<string, unknown>).maxLength = 32;
    const details = (await breakingChanges(generated(), document)).map((c) => c.detail);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^headers: values no longer accepted/),
        expect.stringMatching(/^key: values no longer accepted/),
      ]),
    );
  });

  it('fails on a breaking change made in a zod schema, as a developer would make it', async () => {
    // order-shipped's value generated from its zod schema, and again after carrier was made required.
    const fromZod = (carrier: z.ZodMiniType) => (payload: Schema) => {
      const { properties, required } = z.toJSONSchema(
        z.object({ trackingNumber: z.string(), carrier }),
        { target: 'draft-07', io: 'output' },
      ) as unknown as Schema;
      payload.properties = properties;
      payload.required = required;
    };
    const before = withPayload('order-shipped', fromZod(z.optional(z.string())));
    const after = withPayload('order-shipped', fromZod(z.string()));
    expect((await breakingChanges(before, after)).map((change) => change.eventType)).toEqual([
      'order-shipped',
    ]);
    // And back: a consumer built on the schema with carrier required rejects records without it.
    expect((await breakingChanges(after, before)).map((change) => change.eventType)).toEqual([
      'order-shipped',
    ]);
  });

  it('fails when an event type is no longer published', async () => {
    const document = generated();
    delete document.components.messages.orderCancelled;
    expect(await breakingChanges(generated(), document)).toEqual([
      expect.objectContaining({
        eventType: 'order-cancelled',
        detail: 'the event type is no longer published',
      }),
    ]);
  });
});
