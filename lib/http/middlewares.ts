/**
 * The middy middlewares of the HTTP edge that middy does not ship: a body guard that runs before
 * @middy/http-json-body-parser, and problem+json error responses (middy's own http-error-handler answers
 * in plain text).
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toHttpProblem } from './errors.js';
import { emptyBody, invalidEncoding, payloadTooLarge, type HttpProblem } from './problem.js';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Rejects an empty or oversized body and turns a base64-encoded body (API Gateway's encoding for bodies it
 * deems binary) into text, refusing bytes that are not UTF-8: decoding them leniently would publish U+FFFD
 * in place of whatever the caller meant.
 */
export const requestBodyGuard = ({ maxBytes }: { maxBytes: number }): HttpMiddleware => ({
  before: async ({ event }) => {
    normalizeContentType(event.headers);
    const body: unknown = event.body;
    if (body === undefined || body === null || body === '') throw emptyBody();
    // API Gateway always hands over text; anything else is a malformed event, never something to publish.
    if (typeof body !== 'string') throw invalidEncoding('The request body must be text.');
    const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : undefined;
    const size = bytes ? bytes.length : Buffer.byteLength(body, 'utf8');
    if (size > maxBytes) throw payloadTooLarge(maxBytes, size);
    if (bytes) {
      if (bytes.length === 0) throw emptyBody();
      try {
        event.body = strictUtf8.decode(bytes);
      } catch {
        throw invalidEncoding('The request body is not valid UTF-8.');
      }
      event.isBase64Encoded = false;
    }
  },
});

/**
 * Media types are case-insensitive and may carry spaces around their parameters (RFC 9110), which
 * @middy/http-json-body-parser's pattern does not allow for: "Application/JSON ; charset=utf-8" is JSON too.
 */
const normalizeContentType = (headers: Record<string, string | undefined> | undefined) => {
  const contentType = headers?.['content-type'];
  if (typeof contentType !== 'string') return;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  headers!['content-type'] = [mediaType.toLowerCase(), ...parameters].join('; ');
};

/** Told of every failure, with the problem the caller was given. */
export type ErrorReporter = (error: unknown, problem: HttpProblem) => void;

/** Answers every error as application/problem+json, and reports it (to the logs, never to the caller). */
export const problemJsonResponses = ({ report }: { report: ErrorReporter }): HttpMiddleware => ({
  onError: async (request) => {
    const problem = toHttpProblem(request.error);
    report(request.error, problem);
    request.response = {
      statusCode: problem.status,
      headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
      body: JSON.stringify(problem.toDocument()),
    };
  },
});
