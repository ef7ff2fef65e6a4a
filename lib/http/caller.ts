/**
 * Who is calling, as API Gateway's JWT authorizer verified it (serverless-offline fills in the same place).
 * Only the identity is read from the claims: never the token itself.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface Caller {
  /** The token's `sub`, or its `client_id` for an issuer whose machine tokens carry only that. */
  subject?: string;
}

/** Longer than any subject an issuer mints; a claim past it is not an identity to key records or logs on. */
const MAX_SUBJECT_LENGTH = 256;

export const callerOf = (event: APIGatewayProxyEventV2): Caller => {
  const claims = claimsOf(event);
  // A token with a sub that is no identity has no caller: its client_id is shared by every user of the app.
  const subject = claims?.sub === undefined ? identity(claims?.client_id) : identity(claims.sub);
  return subject === undefined ? {} : { subject };
};

const claimsOf = (event: APIGatewayProxyEventV2): Record<string, unknown> | undefined => {
  // The event type leaves out the authorizer; it is there on routes behind one.
  const { authorizer } = (event.requestContext ?? {}) as { authorizer?: unknown };
  const claims = (authorizer as { jwt?: { claims?: unknown } } | undefined)?.jwt?.claims;
  return typeof claims === 'object' && claims !== null
    ? (claims as Record<string, unknown>)
    : undefined;
};

// API Gateway hands every claim over as a string; serverless-offline keeps JSON types.
const identity = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_SUBJECT_LENGTH
    ? value
    : undefined;
