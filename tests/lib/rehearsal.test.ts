import { describe, expect, it } from '@jest/globals';
import { batchRoute } from '../../lib/batch.js';
import { eventTypes, publisherDeclaration } from '../../lib/catalog.js';
import type { PublishObserver } from '../../lib/observability.js';
import { BudgetSpentError } from '../../lib/producer/errors.js';
import { createPublishHandler, createRouteHandler } from '../../lib/publisher.js';
import {
  batchRehearsalRequest,
  rehearsalEvent,
  rehearsalProducer,
  rehearsalRequestOf,
  rehearse,
} from '../../lib/rehearsal.js';
import { testConfig } from '../support/events.js';
import { MockProducer } from '../support/mock-producer.js';

const recordingObserver = () => {
  const calls: string[] = [];
  const observer: PublishObserver = {
    published: () => calls.push('published'),
    refused: (_route, problem) => calls.push(`refused ${problem.status}`),
    unconfirmed: () => calls.push('unconfirmed'),
  };
  return { calls, observer };
};

describe('rehearsing a route', () => {
  it.each(eventTypes)(
    '%s: the catalog example passes the whole route, every time',
    async (eventType) => {
      const producer = new MockProducer();
      const { calls, observer } = recordingObserver();
      const handler = createPublishHandler(publisherDeclaration(eventType), {
        config: testConfig(),
        producer,
        observer,
      });

      expect(await rehearse(handler, rehearsalRequestOf(publisherDeclaration(eventType)), 3)).toBe(
        3,
      );
      expect(calls).toEqual(['published', 'published', 'published']);
      expect(producer.sent.map((record) => record.headers.ce_type)).toEqual(
        Array(3).fill(eventType),
      );
    },
  );

  it('the batch route: one event of each type per rehearsal', async () => {
    const producer = new MockProducer();
    const handler = createRouteHandler(batchRoute, { config: testConfig(), producer });

    expect(await rehearse(handler, batchRehearsalRequest('order-events-batch'), 2)).toBe(2);
    expect(producer.sent.map((record) => record.headers.ce_type)).toEqual([
      ...eventTypes,
      ...eventTypes,
    ]);
  });

  it('counts only accepted rehearsals: a request the route refuses is not one', async () => {
    const { calls, observer } = recordingObserver();
    const handler = createPublishHandler(publisherDeclaration('order-created'), {
      config: testConfig(),
      producer: rehearsalProducer,
      observer,
    });
    const refused = { ...rehearsalRequestOf(publisherDeclaration('order-created')), body: {} };

    expect(await rehearse(handler, refused, 2)).toBe(0);
    expect(calls).toEqual(['refused 400', 'refused 400']);
  });

  it('names the route of a batch rehearsal from the catalog, and refuses a file it does not know', () => {
    expect(batchRehearsalRequest('order-events-batch')).toMatchObject({
      method: 'POST',
      path: '/order-events/batch',
    });
    expect(() => batchRehearsalRequest('no-such-handler')).toThrow(/no route/);
  });

  it('fills the path parameter of a route that takes orderId from its path', () => {
    const event = rehearsalEvent(rehearsalRequestOf(publisherDeclaration('order-shipped')));
    expect(event.rawPath).toBe('/orders/o-rehearsal/shipment');
    expect(event.pathParameters).toEqual({ orderId: 'o-rehearsal' });
  });
});

describe('the rehearsal producer', () => {
  it('acknowledges each record in order and keeps the contract on a spent budget', async () => {
    const record = { topic: 't', key: 'k', value: '{}', headers: {} };
    await expect(rehearsalProducer.send([record, record], { timeoutMs: 100 })).resolves.toEqual([
      { topic: 't', partition: 0, offset: '0' },
      { topic: 't', partition: 0, offset: '1' },
    ]);
    await expect(rehearsalProducer.send([record], { timeoutMs: 0 })).rejects.toBeInstanceOf(
      BudgetSpentError,
    );
  });
});
