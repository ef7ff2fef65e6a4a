// Who may publish, over HTTP against the service as `npm start` runs it: serverless-offline enforces the same
// JWT authorizer as API Gateway, the publishing scope included. A token without the scope is refused before
// any function runs and publishes nothing; another caller with the scope publishes as the first one does.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { functionRoutes } from '../../lib/catalog.js';
import { createDevToken, PUBLISH_SCOPE } from '../../scripts/token.js';
import { post } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { endOffsets } from './support/topic.js';

const TOPIC = 'order-events';
let service: RunningService;

beforeAll(async () => {
  service = await startService({ http: 3430, lambda: 3432, broker: 19430 });
}, 180_000);

afterAll(async () => {
  await service?.stop();
}, 60_000);

const sum = (offsets: Record<number, string>) =>
  Object.values(offsets).reduce((total, offset) => total + BigInt(offset), 0n);

const cancel = (token: string, orderId: string) =>
  post(
    `${service.http}/orders/${orderId}/cancellation`,
    { reason: 'authorization test' },
    { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  );

const batch = (token: string) =>
  post(
    `${service.http}/order-events/batch`,
    { events: [{ eventType: 'order-cancelled', orderId: 'authz-batch', reason: 'r' }] },
    { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  );

describe('the publishing scope', () => {
  it.each([
    ['another scope', 'openid profile'],
    ['no scope at all', ''],
    ['a scope that only starts like it', `${PUBLISH_SCOPE}:read`],
  ])(
    'a token with %s gets 403 on every publishing route and publishes nothing',
    async (_, scope) => {
      const token = await createDevToken({ subject: 'caller-without-scope', scope });
      const before = await endOffsets(service.kafkaBrokers, TOPIC);
      const publishing = functionRoutes().filter((route) => route.publishes);
      expect(publishing.length).toBeGreaterThanOrEqual(4);
      const replies: [string, number][] = [];
      for (const { method, path } of publishing) {
        // Whatever the body: the authorizer answers before any function runs.
        const reply =
          path === '/order-events/batch'
            ? await batch(token)
            : await post(
                `${service.http}${path.replace('{orderId}', 'authz-1')}`,
                { reason: 'authorization test' },
                { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              );
        replies.push([`${method} ${path}`, reply.status]);
      }
      expect(replies).toEqual(publishing.map(({ method, path }) => [`${method} ${path}`, 403]));
      expect(sum(await endOffsets(service.kafkaBrokers, TOPIC))).toBe(sum(before));
    },
  );

  it('a second caller whose token carries the scope publishes (among others)', async () => {
    const token = await createDevToken({
      subject: 'caller-b',
      scope: `openid ${PUBLISH_SCOPE} email`,
    });
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    const replies = [await cancel(token, 'authz-2'), await batch(token)];
    expect(replies.map((reply) => reply.status)).toEqual([202, 202]);
    expect(sum(await endOffsets(service.kafkaBrokers, TOPIC)) - sum(before)).toBe(2n);
  });

  it('the health check and the OpenAPI document still need no token', async () => {
    for (const path of ['/health', '/openapi.json']) {
      const response = await fetch(`${service.http}${path}`, {
        signal: AbortSignal.timeout(30_000),
      });
      expect([path, response.status]).toEqual([path, 200]);
    }
  });
});
