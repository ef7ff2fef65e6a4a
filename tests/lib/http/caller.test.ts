import { describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callerOf } from '../../../lib/http/caller.js';

const withClaims = (claims: unknown) =>
  ({
    headers: { authorization: 'Bearer header.payload.signature' },
    requestContext: { authorizer: { jwt: { claims, scopes: ['order-events/publish'] } } },
  }) as unknown as APIGatewayProxyEventV2;

describe('callerOf', () => {
  it("is the verified token's subject", () => {
    expect(callerOf(withClaims({ sub: 'user-1', client_id: 'app-9' }))).toEqual({
      subject: 'user-1',
    });
  });

  it('falls back on client_id, for issuers whose machine tokens carry no sub', () => {
    expect(callerOf(withClaims({ client_id: 'app-9' }))).toEqual({ subject: 'app-9' });
  });

  it('has no subject without an authorizer, claims, or a usable identity claim', () => {
    const unauthenticated = { headers: {}, requestContext: {} } as APIGatewayProxyEventV2;
    expect(callerOf(unauthenticated)).toEqual({});
    expect(callerOf(withClaims(undefined))).toEqual({});
    expect(callerOf(withClaims({ sub: '' }))).toEqual({});
    expect(callerOf(withClaims({ sub: 42 }))).toEqual({});
    expect(callerOf(withClaims({ sub: 'x'.repeat(1_000) }))).toEqual({});
  });

  it('does not fall back on client_id when the sub is there but no identity (every user of the app shares it)', () => {
    expect(callerOf(withClaims({ sub: '', client_id: 'app-9' }))).toEqual({});
    expect(callerOf(withClaims({ sub: 'x'.repeat(1_000), client_id: 'app-9' }))).toEqual({});
  });

  it('never reads the token from the Authorization header', () => {
    // A decodable (unsigned) JWT naming someone else: only the authorizer's verified claims count.
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const forged = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'forged', client_id: 'forged' })}.`;
    const event = (claims: unknown) =>
      ({
        headers: { authorization: `Bearer ${forged}` },
        requestContext: { authorizer: { jwt: { claims, scopes: [] } } },
      }) as unknown as APIGatewayProxyEventV2;
    expect(callerOf(event(undefined))).toEqual({});
    expect(callerOf(event({ sub: 'user-1' }))).toEqual({ subject: 'user-1' });
  });
});
