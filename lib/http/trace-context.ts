/**
 * What ties a record on the topic back to the request that wrote it: the caller's W3C trace context (or, without
 * one, the trace Lambda started for the invocation, from `_X_AMZN_TRACE_ID`) and a correlation id, taken from
 * `X-Correlation-Id` or made up, and echoed in every answer so the caller can quote it.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { invalidRequest } from './problem.js';

export interface TraceContext {
  correlationId: string;
  traceparent?: string;
  tracestate?: string;
}

export const CORRELATION_ID_HEADER = 'X-Correlation-Id';

/** W3C Trace Context: version, trace id, parent id, flags; an all-zero id and version ff are invalid. */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Printable, no spaces, short enough for a log field and a Kafka header. */
export const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;
/** What W3C Trace Context asks every vendor to propagate of a tracestate at least; longer ones may be cut. */
const MAX_TRACESTATE_LENGTH = 512;

/** `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1` as a W3C traceparent. */
export const traceparentFromXRay = (xrayTraceId: string | undefined): string | undefined => {
  if (!xrayTraceId) return undefined;
  const fields = new Map(
    xrayTraceId.split(';').map((field) => field.split('=', 2) as [string, string | undefined]),
  );
  const root = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/.exec(fields.get('Root') ?? '');
  const parent = fields.get('Parent');
  if (!root || !parent || !/^[0-9a-f]{16}$/.test(parent)) return undefined;
  const flags = fields.get('Sampled') === '1' ? '01' : '00';
  const traceparent = `00-${root[1]}${root[2]}-${parent}-${flags}`;
  return TRACEPARENT.test(traceparent) ? traceparent : undefined;
};

const header = (headers: Record<string, string | undefined> | undefined, name: string) => {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === wanted) return value;
  return undefined;
};

/** Reads the request's trace context; refuses (400) a correlation id no log or header could carry. */
export const traceContextOf = (
  headers: Record<string, string | undefined> | undefined,
  xrayTraceId: string | undefined = process.env._X_AMZN_TRACE_ID,
): TraceContext => {
  const correlationId = header(headers, CORRELATION_ID_HEADER);
  if (correlationId !== undefined && !CORRELATION_ID.test(correlationId)) {
    throw invalidRequest([
      {
        path: 'headers.x-correlation-id',
        message: 'must be 1 to 128 printable ASCII characters without spaces',
      },
    ]);
  }
  const context: TraceContext = { correlationId: correlationId ?? randomUUID() };
  const traceparent = header(headers, 'traceparent')?.trim().toLowerCase();
  if (traceparent && TRACEPARENT.test(traceparent)) {
    context.traceparent = traceparent;
    const tracestate = header(headers, 'tracestate')?.trim();
    if (tracestate && tracestate.length <= MAX_TRACESTATE_LENGTH) context.tracestate = tracestate;
  } else {
    // A malformed traceparent is dropped, as W3C Trace Context asks: the trace restarts here.
    const derived = traceparentFromXRay(xrayTraceId);
    if (derived) context.traceparent = derived;
  }
  return context;
};

const contexts = new WeakMap<object, TraceContext>();

/** The trace context the middleware read for this event (one made up if it never ran, e.g. in unit tests). */
export const traceContextFor = (event: object): TraceContext =>
  contexts.get(event) ?? { correlationId: randomUUID() };

/**
 * Reads the trace context first, before anything can refuse the request, and echoes the correlation id on
 * every answer, errors included. Use it ahead of the middleware that turns errors into answers, so that its
 * onError runs after that one.
 */
export const traceContext = (): MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2
> => {
  const echo = (request: {
    event: APIGatewayProxyEventV2;
    response: APIGatewayProxyStructuredResultV2 | undefined | null;
  }) => {
    if (!request.response) return;
    const { correlationId } = traceContextFor(request.event);
    request.response.headers = {
      ...request.response.headers,
      [CORRELATION_ID_HEADER]: correlationId,
    };
  };
  return {
    before: (request) => {
      try {
        contexts.set(request.event, traceContextOf(request.event.headers));
      } catch (error) {
        // A refused correlation id: the answer still carries one, made up.
        contexts.set(request.event, { correlationId: randomUUID() });
        throw error;
      }
    },
    after: echo,
    onError: echo,
  };
};
