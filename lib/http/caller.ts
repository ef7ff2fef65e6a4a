/**
 * Who is calling, as API Gateway's JWT authorizer verified it (serverless-offline fills in the same place):
 * the token's `sub`, or `client_id` where the issuer names machine clients that way. Never read from
 * anything the caller can set without a verified token.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface Caller {
  subject?: string;
}

type JwtClaims = Record<string, string | number | boolean | string[]>;

export const callerOf = (event: APIGatewayProxyEventV2): Caller => {
  const requestContext = event.requestContext as { authorizer?: { jwt?: { claims?: JwtClaims } } };
  const claims = requestContext.authorizer?.jwt?.claims;
  const subject = claims?.sub ?? claims?.client_id;
  return typeof subject === 'string' && subject !== '' ? { subject } : {};
};
