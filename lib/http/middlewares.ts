/**
 * The middy middlewares of the HTTP edge that middy does not ship as they are needed here: a body guard that
 * runs before the JSON parser, the JSON parser itself (without middy 7's per-key reviver, see below), and
 * problem+json error responses (middy's own http-error-handler answers in plain text).
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_BODY_ARRAY_ELEMENTS, shapeOf } from './body-shape.js';
import { toHttpProblem } from './errors.js';
import {
  emptyBody,
  type HttpProblem,
  invalidEncoding,
  malformedJson,
  nestedTooDeep,
  payloadTooLarge,
  tooManyArrayElements,
  unsupportedMediaType,
} from './problem.js';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Rejects an empty or oversized body and turns a base64-encoded body (API Gateway's encoding for bodies it
 * deems binary) into text, refusing bytes that are not UTF-8: decoding them leniently would publish U+FFFD
 * in place of whatever the caller meant. Then refuses text that nests arrays and objects deeper than any
 * request can (a linear scan): the JSON parser and the schemas after it recurse, and a body of a few hundred
 * kilobytes can nest a hundred thousand levels.
 */
export const requestBodyGuard = ({
  maxBytes,
  maxNesting,
  maxArrayElements = MAX_BODY_ARRAY_ELEMENTS,
}: {
  maxBytes: number;
  maxNesting: number;
  maxArrayElements?: number;
}): HttpMiddleware => ({
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
    refuseUnboundedShape(event.body as string, maxNesting, maxArrayElements);
  },
});

/**
 * Refuses JSON text that nests deeper, or holds more array elements, than any request: the parser and the
 * schemas after it recurse, and the schemas' work grows with the elements. Also for a direct invocation's event.
 */
export const refuseUnboundedShape = (
  text: string,
  maxNesting: number,
  maxArrayElements = MAX_BODY_ARRAY_ELEMENTS,
): void => {
  const shape = shapeOf(text, maxNesting);
  if (shape.nestsTooDeep) throw nestedTooDeep(maxNesting);
  if (shape.arrayElements > maxArrayElements) throw tooManyArrayElements(maxArrayElements);
};

/**
 * Media types are case-insensitive and may carry spaces around their parameters (RFC 9110), which
 * @middy/http-json-body-parser's pattern does not allow for: "Application/JSON ; charset=utf-8" is JSON too.
 */
const normalizeContentType = (headers: Record<string, string | undefined> | undefined) => {
  const contentType = headers?.['content-type'];
  if (!headers || typeof contentType !== 'string') return;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  headers['content-type'] = [mediaType.toLowerCase(), ...parameters].join('; ');
};

/**
 * The body as JSON (requestBodyGuard has already made it text, decoding base64), for the JSON media types
 * (application/json, application/*+json); any other Content-Type is refused with 415.
 *
 * A plain JSON.parse, not @middy/http-json-body-parser: middy 7's parser runs JSON.parse with a reviver,
 * called for every key and value, that refuses a `__proto__` key, or a `constructor` key holding a
 * `prototype`, with a 422 that says neither where the key is nor which field was expected. That protection is
 * not needed here, and the reviver was the largest part of the parse in a warm invocation's profile: JSON.parse
 * only ever makes these keys own properties, never a prototype, and every schema is strict, so the schema
 * refuses such a key with a 400 that names its path, as it does any other unknown key.
 */
export const jsonBodyParser = (): HttpMiddleware => ({
  before: async (request) => {
    const contentType = request.event.headers?.['content-type'];
    if (!JSON_MEDIA_TYPE.test(contentType ?? '')) throw unsupportedMediaType(contentType);
    try {
      request.event.body = JSON.parse(request.event.body as string) as never;
    } catch (error) {
      throw malformedJson(error instanceof Error ? error.message : 'it cannot be parsed');
    }
  },
});

/** The media types taken for JSON, as @middy/http-json-body-parser takes them. */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;

/** Told of every failure, with the problem the caller was given and the request it answered. */
export type ErrorReporter = (
  error: unknown,
  problem: HttpProblem,
  event: APIGatewayProxyEventV2,
) => void;

/** Answers every error as application/problem+json, and reports it (to the logs, never to the caller). */
export const problemJsonResponses = ({ report }: { report: ErrorReporter }): HttpMiddleware => ({
  onError: async (request) => {
    const problem = toHttpProblem(request.error);
    report(request.error, problem, request.event);
    request.response = {
      statusCode: problem.status,
      headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
      body: JSON.stringify(problem.toDocument()),
    };
  },
});
