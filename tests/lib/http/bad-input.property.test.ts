// Bad input, property-based: thousands of generated bodies, headers, content types and path
// parameters go through the real HTTP edge of all three publishers (middy, body guard, JSON parser, zod, problem+json)
// with an in-memory producer. For every request that is really invalid: the answer is a 4xx, never a 5xx or a
// throw; it is a valid application/problem+json document without a stack trace; and nothing reaches the producer.
//
// "Really invalid" is decided by an oracle of our own (judge, below), written from the README's rules rather than
// from lib/: a generator that is meant to produce only bad requests is checked against it, and the generators of
// arbitrary input (random text, random bytes, random headers) are classified by it, so a request that happens to
// be valid is expected to be accepted instead of loosening what "rejected" means.
//
// The run ends by printing its figures (bad inputs tried, 4xx by status, 5xx seen) for the README.
// BAD_INPUT_SEED=<n> replays a run with a given fast-check seed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { batchRoute } from '../../../lib/batch.js';
import {
  createPublishHandler,
  createRouteHandler,
  type PublisherDeclaration,
} from '../../../lib/publisher.js';
import {
  MAX_BODY_BYTES,
  orderCancelledSchema,
  orderCreatedSchema,
  orderShippedSchema,
} from '../../../lib/schemas.js';
import {
  allowedKeys,
  amplifyingBodyArb,
  badOrderIdArb,
  batchOfItems,
  type ContentTypeClass,
  classifyMediaType,
  DANGEROUS_KEYS,
  deleteAt,
  ENVELOPE_KEYS,
  errorPathOf,
  invalidUtf8,
  isOrderId,
  isPlainObject,
  itemArb,
  itemFields,
  judgeBody,
  MAX_ANSWER_BYTES,
  MAX_ANSWERED_ERRORS,
  NON_JSON_CONTENT_TYPES,
  nested,
  nestingShapeArb,
  nonFinite,
  type Outcome,
  orderIdArb,
  type Path,
  POLLUTION_SENTINELS,
  pathRouteArb,
  pollutionValue,
  type RouteName,
  requiredFields,
  routeArb,
  setAt,
  validBodyArbs,
} from '../../support/bad-input.js';
import { httpEvent, lambdaContext, testConfig } from '../../support/events.js';
import { raw, toJson, withKey } from '../../support/json-text.js';
import { MockProducer } from '../../support/mock-producer.js';
import { bugsOnlyObserver } from '../../support/observer.js';
import { bump, show, total } from '../../support/tally.js';

// ---------------------------------------------------------------------------------------------------------------
// The three routes
// ---------------------------------------------------------------------------------------------------------------

const routes: Record<RouteName, { declaration: PublisherDeclaration; routeKey: string }> = {
  created: {
    declaration: { eventType: 'order-created', schema: orderCreatedSchema, orderIdFrom: 'body' },
    routeKey: 'POST /orders',
  },
  shipped: {
    declaration: { eventType: 'order-shipped', schema: orderShippedSchema, orderIdFrom: 'path' },
    routeKey: 'POST /orders/{orderId}/shipment',
  },
  cancelled: {
    declaration: {
      eventType: 'order-cancelled',
      schema: orderCancelledSchema,
      orderIdFrom: 'path',
    },
    routeKey: 'POST /orders/{orderId}/cancellation',
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Requests, and sending one through a fresh handler and producer
// ---------------------------------------------------------------------------------------------------------------

interface BadInputRequest {
  route: RouteName;
  /** For the figures: which generator made it. */
  category: string;
  body: string | undefined;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  /** The path parameter of the path routes; undefined sends no pathParameters at all. */
  pathOrderId: string | undefined;
  /** pathParameters present, but without orderId. */
  pathParametersWithoutOrderId?: boolean;
  /** The generator promises an invalid request: the oracle must agree, or the generator is wrong. */
  mustBeBad: boolean;
  /** When the answer is invalid-request, its errors must name this path. */
  expectErrorPath?: string;
  /** Deep-nesting cases: how many levels the body nests. */
  nesting?: number;
  /** Put in event.body instead of `body` (a non-string, as serverless-offline delivers some bodies). */
  eventBody?: { value: unknown };
}

const JSON_HEADERS = (): Record<string, string> => ({ 'content-type': 'application/json' });
const config = testConfig();

interface Sent {
  response: APIGatewayProxyStructuredResultV2 | undefined;
  thrown: unknown;
  producer: MockProducer;
  reported: unknown[];
}

const send = async (request: BadInputRequest): Promise<Sent> => {
  const producer = new MockProducer();
  const reported: unknown[] = [];
  const handler = createPublishHandler(routes[request.route].declaration, {
    config,
    producer,
    // Every refusal reaches the observer; only 5xx would be the service's own failure.
    observer: {
      published: () => undefined,
      refused: (problem, error) =>
        void (problem.status >= 500 && reported.push([error, problem.status])),
      replayed: () => undefined,
      unconfirmed: () => undefined,
    },
  });
  const event: APIGatewayProxyEventV2 = httpEvent({
    body: request.body,
    headers: request.headers,
    orderId: request.pathOrderId,
    isBase64Encoded: request.isBase64Encoded,
    routeKey: routes[request.route].routeKey,
  });
  if (request.pathParametersWithoutOrderId) event.pathParameters = { id: 'o-1' };
  if (request.eventBody) (event as { body?: unknown }).body = request.eventBody.value;
  try {
    const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    return { response, thrown: undefined, producer, reported };
  } catch (thrown) {
    // A Lambda that throws is a 502/500 at API Gateway: counted as a 5xx.
    return { response: undefined, thrown, producer, reported };
  }
};

// ---------------------------------------------------------------------------------------------------------------
// The oracle (tests/support/bad-input.ts), applied to a handler's event
// ---------------------------------------------------------------------------------------------------------------

const contentTypeOf = (headers: Record<string, string>): ContentTypeClass => {
  const names = Object.keys(headers).filter((name) => name.toLowerCase() === 'content-type');
  if (names.length > 1) throw new Error(`generator bug: ${names.length} Content-Type headers`);
  return classifyMediaType(names[0] === undefined ? undefined : headers[names[0]]);
};

interface Verdict {
  /** Definite failures: the request is bad if there is one. The answer must be one of these (or a maybe). */
  failures: Outcome[];
  /** Answers that are also right: 415 for a "variant" content type. */
  maybe: Outcome[];
  contentType: ContentTypeClass;
  /** The body as the handler sees it after decoding, when it is JSON. */
  parsed?: unknown;
  bodyBytes: number;
}

const judge = (request: BadInputRequest): Verdict => {
  const failures: Outcome[] = [];
  const maybe: Outcome[] = [];
  const contentType = contentTypeOf(request.headers);
  const unsupported = { status: 415, slug: 'unsupported-media-type', paths: [] };
  if (contentType === 'other') failures.push(unsupported);
  if (contentType === 'variant') maybe.push(unsupported);

  const pathErrors =
    routes[request.route].declaration.orderIdFrom === 'path' &&
    (request.pathParametersWithoutOrderId || !isOrderId(request.pathOrderId))
      ? ['pathParameters.orderId']
      : [];
  if (pathErrors.length > 0)
    failures.push({ status: 400, slug: 'invalid-request', paths: pathErrors });

  const body = judgeBody(request.route, request.body, request.isBase64Encoded);
  for (const failure of body.failures)
    failures.push(
      failure.slug === 'invalid-request'
        ? { ...failure, paths: [...pathErrors, ...failure.paths] }
        : failure,
    );
  return { failures, maybe, contentType, parsed: body.parsed, bodyBytes: body.bodyBytes };
};

// ---------------------------------------------------------------------------------------------------------------
// Figures, printed after the run
// ---------------------------------------------------------------------------------------------------------------

const figures = {
  badByCategory: new Map<string, number>(),
  byStatus: new Map<number, number>(),
  bySlug: new Map<string, number>(),
  fiveXx: 0,
  thrown: 0,
  publishedForBadInput: 0,
  fiveXxSamples: [] as string[],
  accidentallyValid: new Map<string, number>(),
  controlsAccepted: new Map<string, number>(),
  variantContentTypes: { accepted: 0, rejected415: 0 },
  invalidUtf8LenientlyValid: 0,
  deepestRefusedNesting: 0,
  largestBadBodyBytes: 0,
  largestProblemBytes: 0,
};

// ---------------------------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------------------------

const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'errors']);
/** What a leaked stack trace or internal error looks like (specific enough not to match the echo of a random body). */
const STACK_TRACE =
  /\n\s+at |\bat .+\(.+:\d+:\d+\)|node_modules\/|\.[cm]?[jt]s:\d+:\d+|Maximum call stack|RangeError:|TypeError:|ReferenceError:|SyntaxError:/;

const headerValue = (headers: APIGatewayProxyStructuredResultV2['headers'], name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

const describeRequest = (request: BadInputRequest) =>
  JSON.stringify({
    ...request,
    body:
      request.body !== undefined && request.body.length > 300
        ? `${request.body.slice(0, 300)}… (${request.body.length} chars)`
        : request.body,
  });

/** The one property every bad request must have. */
const expectRejected = (
  request: BadInputRequest,
  verdict: Verdict,
  { response, thrown, producer, reported }: Sent,
) => {
  bump(figures.badByCategory, request.category);
  figures.publishedForBadInput += producer.sent.length;
  figures.largestBadBodyBytes = Math.max(figures.largestBadBodyBytes, verdict.bodyBytes);
  const status = response?.statusCode;
  if (response === undefined || typeof status !== 'number' || status >= 500) {
    figures.fiveXx += 1;
    if (response === undefined) figures.thrown += 1;
    if (figures.fiveXxSamples.length < 5) {
      figures.fiveXxSamples.push(
        `${describeRequest(request)} -> ${response ? `${status} ${String(response.body)}` : `threw ${String(thrown)}`}`,
      );
    }
  }
  expect(thrown).toBeUndefined();
  expect(typeof status).toBe('number');
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  bump(figures.byStatus, status!);

  // Nothing reached Kafka, and nothing was reported as a failure of ours.
  expect(producer.sendOptions).toHaveLength(0);
  expect(producer.sent).toHaveLength(0);
  expect(reported).toEqual([]);

  // A valid problem+json document, and nothing more.
  expect(headerValue(response!.headers, 'content-type')).toBe('application/problem+json');
  const text = String(response!.body);
  figures.largestProblemBytes = Math.max(figures.largestProblemBytes, Buffer.byteLength(text));
  // Bad input never amplifies: whatever the body, the answer stays small.
  expect(Buffer.byteLength(text)).toBeLessThan(MAX_ANSWER_BYTES);
  expect(text).not.toMatch(STACK_TRACE);
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(isPlainObject(problem)).toBe(true);
  for (const key of Object.keys(problem)) expect(PROBLEM_KEYS.has(key)).toBe(true);
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe('string');
  if (problem.errors !== undefined) {
    expect(Array.isArray(problem.errors)).toBe(true);
    expect((problem.errors as unknown[]).length).toBeLessThanOrEqual(MAX_ANSWERED_ERRORS);
    for (const error of problem.errors as unknown[]) {
      expect(isPlainObject(error)).toBe(true);
      expect(Object.keys(error as object).sort()).toEqual(['message', 'path']);
      expect(typeof (error as { path: unknown }).path).toBe('string');
      expect(typeof (error as { message: unknown }).message).toBe('string');
    }
  }

  // The answer is one of the failures the oracle found (or a 415 for a content type it may refuse).
  const slug = String(problem.type).split(':').pop() ?? '';
  bump(figures.bySlug, `${status} ${slug}`);
  const allowed = [...verdict.failures, ...verdict.maybe];
  const matching = allowed.filter((outcome) => outcome.status === status && outcome.slug === slug);
  if (matching.length === 0) {
    throw new Error(
      `answered ${status} ${slug}; expected one of ${allowed.map((o) => `${o.status} ${o.slug}`).join(', ')} for ${describeRequest(request)}`,
    );
  }
  if (slug === 'invalid-request') {
    const paths =
      (problem.errors as { path: string }[] | undefined)?.map((error) => error.path) ?? [];
    expect(paths.length).toBeGreaterThan(0);
    const expectedPaths = matching.flatMap((outcome) => outcome.paths);
    expect(paths.some((path) => expectedPaths.includes(path))).toBe(true);
    // The errors name what the generator broke: that path, or one inside it (a key missing from an item).
    const expected = request.expectErrorPath;
    if (
      expected !== undefined &&
      !paths.some((path) => path === expected || path.startsWith(`${expected}.`))
    ) {
      throw new Error(
        `the errors ${JSON.stringify(paths)} do not name ${expected} for ${describeRequest(request)}`,
      );
    }
  }
};

/** A valid request: 202 and exactly one record, carrying the body's fields as sent. */
const expectAccepted = (
  request: BadInputRequest,
  verdict: Verdict,
  { response, thrown, producer }: Sent,
) => {
  expect(thrown).toBeUndefined();
  expect(response?.statusCode).toBe(202);
  expect(producer.sent).toHaveLength(1);
  const record = producer.sent[0]!;
  const value = JSON.parse(record.value) as Record<string, unknown>;
  const fields = verdict.parsed as Record<string, unknown>;
  const orderId = request.route === 'created' ? fields.orderId : request.pathOrderId;
  expect(record.key).toBe(orderId);
  expect(value).toMatchObject({ eventType: routes[request.route].declaration.eventType, orderId });
  for (const [key, field] of Object.entries(fields)) expect(value[key]).toEqual(field);
};

/** Sends a request, decides with the oracle what the answer must be, and checks it. */
const exercise = async (request: BadInputRequest): Promise<void> => {
  const verdict = judge(request);
  const bad = verdict.failures.length > 0;
  if (request.mustBeBad && !bad)
    throw new Error(`generator bug: this request is valid: ${describeRequest(request)}`);
  const sent = await send(request);
  if (bad) {
    expectRejected(request, verdict, sent);
    return;
  }
  if (verdict.contentType === 'variant') {
    // Valid body, JSON media type in an unusual spelling: accepted (one record) or 415 (nothing) are both right.
    if (sent.response?.statusCode === 415) {
      figures.variantContentTypes.rejected415 += 1;
      expect(sent.producer.sendOptions).toHaveLength(0);
      expect(headerValue(sent.response.headers, 'content-type')).toBe('application/problem+json');
      return;
    }
    figures.variantContentTypes.accepted += 1;
    expectAccepted(request, verdict, sent);
    return;
  }
  bump(figures.accidentallyValid, request.category);
  expectAccepted(request, verdict, sent);
};

/** A request that must be accepted (the positive controls). */
const exerciseValid = async (request: BadInputRequest): Promise<void> => {
  const verdict = judge(request);
  if (verdict.failures.length > 0 || verdict.contentType !== 'json')
    throw new Error(`generator bug: not a valid request: ${describeRequest(request)}`);
  expectAccepted(request, verdict, await send(request));
  bump(figures.controlsAccepted, request.category);
};

// ---------------------------------------------------------------------------------------------------------------
// Generators: valid bodies (the raw material)
// ---------------------------------------------------------------------------------------------------------------

/** A route, a valid body for it, and a valid path orderId when the route takes one. */
const validPartsArb = (routeChoice: fc.Arbitrary<RouteName> = routeArb) =>
  routeChoice.chain((route) =>
    fc.record({
      route: fc.constant(route),
      body: validBodyArbs[route],
      pathOrderId: route === 'created' ? fc.constant(undefined) : orderIdArb,
    }),
  );

const request = (
  parts: { route: RouteName; pathOrderId: string | undefined },
  rest: Partial<BadInputRequest> & { category: string; body: string | undefined },
): BadInputRequest => ({
  route: parts.route,
  pathOrderId: parts.pathOrderId,
  isBase64Encoded: false,
  headers: JSON_HEADERS(),
  mustBeBad: true,
  ...rest,
});

// ---------------------------------------------------------------------------------------------------------------
// Generators: bad values
// ---------------------------------------------------------------------------------------------------------------

const smallJsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), {
  maxKeys: 3,
});
const wrongTypeForText = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  smallJsonObject,
);
const wrongTypeForNumber = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map(String),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.integer({ min: 1, max: 9 }).map((n) => [n]),
);
const tooLongText = (max: number) =>
  fc
    .record({
      extra: fc.integer({ min: 1, max: 3_000 }),
      char: fc.constantFrom('x', 'é', '😀', '\u0000', '"', '\\', ' '),
    })
    .map(({ extra, char }) => char.repeat(max + extra));

const currencyBad = fc.oneof(
  wrongTypeForText,
  fc.stringMatching(/^[a-z]{3}$/),
  fc.stringMatching(/^[A-Za-z]{3}$/).filter((code) => !/^[A-Z]{3}$/.test(code)),
  fc.stringMatching(/^[A-Z]{0,2}$/),
  fc.stringMatching(/^[A-Z]{4,8}$/),
  fc.stringMatching(/^[0-9]{3}$/),
  fc.constantFrom(' USD', 'USD ', 'US$', '€UR', 'ÉUR', 'USD\n'),
);
const amountBad = fc.oneof(
  wrongTypeForNumber,
  nonFinite,
  fc.integer({ min: -1_000_000_000, max: -1 }),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 1e12, max: Number.MAX_VALUE, noNaN: true }).filter((n) => n > 1e12),
  fc.constantFrom(1e12 + 1, 1e13, 1e308),
);
const quantityBad = fc.oneof(
  wrongTypeForNumber,
  nonFinite,
  fc.constant(0),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.integer({ min: 1_000_001, max: 2 ** 31 }),
  fc.constantFrom(1e7, 1e20, 2 ** 53 + 2),
  fc.double({ min: 1, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
);
/** Over 500 items (valid ones: the count alone is wrong). */
const tooManyItems = fc
  .tuple(itemArb, fc.integer({ min: 501, max: 2_500 }))
  .map(([item, count]) => Array.from({ length: count }, () => item));
const itemsBad = fc.oneof(
  fc.constant([]),
  itemArb,
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  tooManyItems,
);
const itemBad = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  itemArb.map((item) => [item.sku, item.quantity, item.unitPrice]),
  itemArb.chain((item) =>
    fc.constantFrom('sku', 'quantity', 'unitPrice').map((key) => deleteAt(item, key)),
  ),
);

type SlotKind =
  | { kind: 'text'; max: number }
  | { kind: 'orderId' | 'amount' | 'quantity' | 'currency' | 'items' | 'item' };
interface Slot {
  path: Path;
  slot: SlotKind;
}

const badValueFor = (slot: SlotKind): fc.Arbitrary<unknown> => {
  switch (slot.kind) {
    case 'text':
      return fc.oneof(wrongTypeForText, fc.constant(''), tooLongText(slot.max));
    case 'orderId':
      return fc.oneof(wrongTypeForText, badOrderIdArb);
    case 'amount':
      return amountBad;
    case 'quantity':
      return quantityBad;
    case 'currency':
      return currencyBad;
    case 'items':
      return itemsBad;
    case 'item':
      return itemBad;
  }
};

const slotsOf = (route: RouteName, body: Record<string, unknown>): Slot[] => {
  switch (route) {
    case 'created': {
      const items = body.items as unknown[];
      return [
        { path: ['orderId'], slot: { kind: 'orderId' } },
        { path: ['customerId'], slot: { kind: 'text', max: 64 } },
        { path: ['items'], slot: { kind: 'items' } },
        { path: ['total'], slot: { kind: 'amount' } },
        { path: ['currency'], slot: { kind: 'currency' } },
        ...items.flatMap((_, index): Slot[] => [
          { path: ['items', index], slot: { kind: 'item' } },
          { path: ['items', index, 'sku'], slot: { kind: 'text', max: 64 } },
          { path: ['items', index, 'quantity'], slot: { kind: 'quantity' } },
          { path: ['items', index, 'unitPrice'], slot: { kind: 'amount' } },
        ]),
      ];
    }
    case 'shipped':
      return [
        { path: ['trackingNumber'], slot: { kind: 'text', max: 128 } },
        { path: ['carrier'], slot: { kind: 'text', max: 64 } },
      ];
    case 'cancelled':
      return [{ path: ['reason'], slot: { kind: 'text', max: 1024 } }];
  }
};

const extraKeyArb = (allowed: Set<string>, route: RouteName) =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...ENVELOPE_KEYS,
          ...(route === 'created' ? [] : ['orderId']),
          '',
          ' ',
        ),
      },
      { weight: 1, arbitrary: fc.mixedCase(fc.constantFrom(...allowed)) },
      { weight: 1, arbitrary: fc.constantFrom(...allowed).map((key) => ` ${key}`) },
      { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
    )
    .filter((key) => !allowed.has(key));

/** A valid body with one thing wrong: a wrong type, a non-finite or out-of-range number, a bad string, an extra or missing key. */
const mutatedArb = validPartsArb().chain((parts) => {
  const { route, body } = parts;
  const replaced = fc.constantFrom(...slotsOf(route, body)).chain(({ path, slot }) =>
    badValueFor(slot).map((value) => ({
      body: setAt(body, path, value),
      label: `wrong ${slot.kind}`,
      errorPath: errorPathOf(path),
    })),
  );
  const missing = fc.constantFrom(...requiredFields[route]).map((key) => ({
    body: deleteAt(body, key),
    label: 'missing field',
    errorPath: errorPathOf([key]),
  }));
  const itemPaths: Path[] =
    route === 'created' ? (body.items as unknown[]).map((_, index) => ['items', index]) : [];
  const extra = fc
    .record({ where: fc.constantFrom<Path>([], ...itemPaths), value: pollutionValue })
    .chain(({ where, value }) => {
      const allowed = where.length === 0 ? allowedKeys(route) : new Set(Object.keys(itemFields));
      return extraKeyArb(allowed, route).map((key) => {
        const target =
          where.length === 0 ? body : ((body.items as unknown[])[where[1] as number] as object);
        return {
          body: setAt(body, where, withKey(target, key, value)),
          label: DANGEROUS_KEYS.includes(key) ? 'dangerous extra key' : 'extra key',
          errorPath: errorPathOf(where),
        };
      });
    });
  return fc
    .oneof(
      { weight: 5, arbitrary: replaced },
      { weight: 1, arbitrary: missing },
      { weight: 3, arbitrary: extra },
    )
    .map(({ body: mutated, label, errorPath }) =>
      request(parts, {
        category: `mutated field: ${label}`,
        body: toJson(mutated),
        expectErrorPath: errorPath,
      }),
    );
});

// ---------------------------------------------------------------------------------------------------------------
// Generators: bodies that are not JSON, or not an object
// ---------------------------------------------------------------------------------------------------------------

const JSON_NOISE = '{}[],:"\\ \n\tntfu0-.eE+/\'';
const garbledJson = fc
  .record({
    text: fc.json({ maxDepth: 3 }),
    at: fc.nat(),
    op: fc.constantFrom('delete', 'insert', 'replace'),
    char: fc.constantFrom(...JSON_NOISE),
  })
  .map(({ text, at, op, char }) => {
    const index = at % (text.length + 1);
    if (op === 'delete') return text.slice(0, index) + text.slice(index + 1);
    if (op === 'insert') return text.slice(0, index) + char + text.slice(index);
    return text.slice(0, index) + char + text.slice(index + 1);
  });

/** Arbitrary text and bytes, truncated or doctored valid bodies: classified by the oracle (a valid one must be accepted). */
const arbitraryBodyArb = validPartsArb().chain((parts) => {
  const validText = toJson(parts.body);
  const validBytes = Buffer.from(validText, 'utf8');
  const text = (category: string) => (body: string) =>
    request(parts, { category, body, mustBeBad: false });
  const base64 = (category: string) => (bytes: Uint8Array) =>
    request(parts, {
      category,
      body: Buffer.from(bytes).toString('base64'),
      isBase64Encoded: true,
      mustBeBad: false,
    });
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }).map(text('random text')),
    fc.string({ unit: 'grapheme-ascii', maxLength: 200 }).map(text('random text')),
    garbledJson.map(text('malformed JSON')),
    fc
      .integer({ min: 1, max: validText.length - 1 })
      .map((end) => text('truncated JSON')(validText.slice(0, end))),
    fc
      .integer({ min: 1, max: validBytes.length - 1 })
      .map((end) => base64('truncated JSON (base64)')(validBytes.subarray(0, end))),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map(base64('random bytes (base64)')),
    fc
      .constantFrom(
        (json: string) => `${json},`,
        (json: string) => `${json}}`,
        (json: string) => `${json}${json}`,
        (json: string) => `${json} x`,
        (json: string) => json.replace(/"/g, "'"),
        (json: string) => json.replace(/}$/, ',}'),
        (json: string) => `/* c */${json}`,
        (json: string) => `${json}//`,
        (json: string) => `\uFEFF${json}`,
        (json: string) => json.replace(/:/, '='),
        (json: string) => json.replace(/"([A-Za-z]+)":/, '$1:'),
        (json: string) => `{${json}}`,
        () => 'NaN',
        () => 'Infinity',
        () => 'undefined',
        () => ' ',
        () => '\n\t ',
        () => '{',
        () => '}',
        () => '"',
      )
      .map((doctor) => text('malformed JSON')(doctor(validText))),
    fc.string({ maxLength: 40 }).map((s) =>
      request(parts, {
        category: 'random text (base64 flag, not base64)',
        body: `${s}{"!`,
        isBase64Encoded: true,
        mustBeBad: false,
      }),
    ),
  );
});

/** JSON texts whose value is not an object: scalars, arrays (one holding a valid body), a JSON string holding a valid body. */
const notAnObjectArb = validPartsArb().chain((parts) =>
  fc
    .oneof(
      fc
        .jsonValue({ maxDepth: 3 })
        .filter((value) => !isPlainObject(value))
        .map((value) => JSON.stringify(value)),
      fc.constant(toJson([parts.body])),
      fc.constant(JSON.stringify(toJson(parts.body))),
      fc.constantFrom(
        'null',
        'true',
        'false',
        '0',
        '-0',
        '1e999',
        '-1e999',
        '""',
        '[]',
        '[{}]',
        '"{}"',
        '[[]]',
        '123456789012345678901234567890',
      ),
    )
    .map((body) =>
      request(parts, { category: 'JSON that is not an object', body, expectErrorPath: 'body' }),
    ),
);

// ---------------------------------------------------------------------------------------------------------------
// Generators: deep nesting, oversize bodies
// ---------------------------------------------------------------------------------------------------------------

interface DeepCase {
  route: RouteName;
  depth: number;
  shape: Parameters<typeof nested>[0];
  where: 'whole body' | 'field' | 'item' | 'extra key';
  closed: boolean;
}
const deepCaseArb: fc.Arbitrary<DeepCase> = fc.record({
  route: routeArb,
  depth: fc.oneof(
    fc.integer({ min: 1_000, max: 20_000 }),
    fc.integer({ min: 20_000, max: 130_000 }),
  ),
  shape: nestingShapeArb,
  where: fc.constantFrom<DeepCase['where']>('whole body', 'field', 'item', 'extra key'),
  closed: fc.boolean(),
});

const deepRequest = (
  deep: DeepCase,
  body: Record<string, unknown>,
  pathOrderId: string | undefined,
): BadInputRequest => {
  const value = raw(nested(deep.shape, deep.depth, deep.closed));
  const field = slotsOf(deep.route, body)[0]!.path;
  let json: string;
  if (deep.where === 'whole body') json = value.text;
  else if (deep.where === 'extra key') json = toJson(withKey(body, 'nested', value));
  else if (deep.where === 'item' && deep.route === 'created')
    json = toJson(setAt(body, ['items', 0], value));
  else json = toJson(setAt(body, field, value));
  return request(
    { route: deep.route, pathOrderId },
    // Refused before it is parsed, wherever it is: the whole body is named.
    { category: 'deep nesting', body: json, expectErrorPath: 'body', nesting: deep.depth },
  );
};

const deepArb = deepCaseArb.chain((deep) =>
  fc
    .record({
      body: validBodyArbs[deep.route],
      pathOrderId: deep.route === 'created' ? fc.constant(undefined) : orderIdArb,
    })
    .map(({ body, pathOrderId }) => deepRequest(deep, body, pathOrderId)),
);

/** Bodies over 256 KiB: huge strings (also of multi-byte characters), huge arrays, huge extra keys, huge base64. */
const oversizeArb = validPartsArb().chain((parts) => {
  const { route, body } = parts;
  const firstField = slotsOf(route, body)[0]!.path;
  const overBy = fc.integer({ min: 1, max: 64 * 1024 });
  return fc.oneof(
    fc
      .record({ extra: overBy, char: fc.constantFrom('x', 'é', '中', '😀') })
      .map(({ extra, char }) => {
        // Enough characters that the UTF-8 bytes exceed the limit (é is 2 bytes, 中 3, 😀 4 and 2 UTF-16 units).
        const count = Math.ceil((MAX_BODY_BYTES + extra) / Buffer.byteLength(char));
        return request(parts, {
          category: 'huge string',
          body: toJson(setAt(body, firstField, char.repeat(count))),
        });
      }),
    fc.tuple(itemArb, overBy).map(([item, extra]) => {
      const count = Math.ceil((MAX_BODY_BYTES + extra) / Buffer.byteLength(toJson(item)));
      return request(parts, {
        category: 'huge array',
        body: toJson(
          setAt(
            body,
            route === 'created' ? ['items'] : firstField,
            Array.from({ length: count }, () => item),
          ),
        ),
      });
    }),
    overBy.map((extra) =>
      request(parts, {
        category: 'huge string',
        body: toJson(withKey(body, 'padding', ' '.repeat(MAX_BODY_BYTES + extra))),
      }),
    ),
    overBy.map((extra) =>
      request(parts, {
        category: 'huge string (base64)',
        body: Buffer.from(
          toJson(setAt(body, firstField, 'y'.repeat(MAX_BODY_BYTES + extra))),
        ).toString('base64'),
        isBase64Encoded: true,
      }),
    ),
    // Not over the limit in bytes, but far over every length the schema allows.
    fc.integer({ min: 10_000, max: 200_000 }).map((length) =>
      request(parts, {
        category: 'huge string',
        body: toJson(setAt(body, firstField, 'z'.repeat(length))),
        expectErrorPath: errorPathOf(firstField),
      }),
    ),
  );
});

/** Thousands of invalid values in one body under 256 KiB: invalid items, unknown keys. */
const amplifyingArb = validPartsArb().chain((parts) =>
  amplifyingBodyArb(parts.route, parts.body).map((body) =>
    request(parts, { category: 'thousands of invalid values', body }),
  ),
);

// ---------------------------------------------------------------------------------------------------------------
// Generators: encodings
// ---------------------------------------------------------------------------------------------------------------

const MARK = '\u0001MARK\u0001';
/** A valid body whose bytes carry an invalid UTF-8 sequence inside a string (decoded leniently it would be valid), or anywhere. */
const invalidUtf8Arb = validPartsArb().chain((parts) => {
  const field = slotsOf(parts.route, parts.body).find(({ slot }) => slot.kind === 'text')!.path;
  return fc
    .record({
      sequence: invalidUtf8,
      inString: fc.boolean(),
      at: fc.nat(),
      prefix: fc.string({ maxLength: 4 }),
    })
    .map(({ sequence, inString, at, prefix }) => {
      let bytes: Buffer;
      if (inString) {
        const [before, after] = toJson(setAt(parts.body, field, `${prefix}${MARK}`)).split(
          JSON.stringify(MARK).slice(1, -1),
        );
        bytes = Buffer.concat([
          Buffer.from(before ?? ''),
          Buffer.from(sequence),
          Buffer.from(after ?? ''),
        ]);
      } else {
        const valid = Buffer.from(toJson(parts.body));
        const index = at % (valid.length + 1);
        bytes = Buffer.concat([
          valid.subarray(0, index),
          Buffer.from(sequence),
          valid.subarray(index),
        ]);
      }
      return request(parts, {
        category: 'invalid UTF-8 (base64)',
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      });
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Generators: headers and content types
// ---------------------------------------------------------------------------------------------------------------

const JSON_CONTENT_TYPES = [
  'application/json',
  'application/vnd.orders+json',
  'application/merge-patch+json',
  'application/problem+json',
  'application/cloudevents+json',
];
const paramArb = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    value: fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9.+-]{1,12}$/),
      fc.constantFrom('utf-8', 'UTF-8', 'utf-16', 'latin1', 'us-ascii', '"a;b,c"', '""', '"x y"'),
    ),
    space: fc.boolean(),
  })
  .map(({ name, value, space }) => `;${space ? ' ' : ''}${name}=${value}`);
const jsonContentType = fc
  .tuple(fc.constantFrom(...JSON_CONTENT_TYPES), fc.array(paramArb, { maxLength: 3 }))
  .map(([type, params]) => type + params.join(''));
const variantContentType = fc.oneof(
  fc
    .tuple(
      fc.mixedCase(fc.constantFrom(...JSON_CONTENT_TYPES)),
      fc.array(paramArb, { maxLength: 2 }),
    )
    .map(([type, params]) => type + params.join('')),
  fc.constantFrom(
    ' application/json',
    'application/json ',
    'application/json ; charset=utf-8',
    'application/json;',
    'application/json; ',
    'APPLICATION/JSON',
    'Application/Json; Charset=UTF-8',
  ),
);
const otherContentType = fc.oneof(
  fc.constantFrom('', ' ', ...NON_JSON_CONTENT_TYPES),
  fc.string({ maxLength: 40 }).filter((type) => !/^\s*application\//i.test(type)),
  fc
    .string({ maxLength: 20 })
    .filter((suffix) => !/json/i.test(suffix))
    .map((suffix) => `application/${suffix}`),
);

const headerNameArb = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'x-forwarded-for',
      'accept',
      'authorization',
      'X-Content-Type',
      'content-type-options',
      'X-Amzn-Trace-Id',
    ),
  )
  .filter((name) => !name.toLowerCase().startsWith('content-'));
const headerValueArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('application/json', 'text/plain', '{"polluted":"yes"}', '', ' '),
);

const headersArb = fc
  .record({
    contentType: fc.option(
      fc.oneof(
        { weight: 2, arbitrary: jsonContentType },
        { weight: 2, arbitrary: variantContentType },
        { weight: 3, arbitrary: otherContentType },
      ),
      { freq: 6 },
    ),
    name: fc.mixedCase(fc.constant('content-type')),
    others: fc.array(fc.tuple(headerNameArb, headerValueArb), { maxLength: 5 }),
  })
  .map(({ contentType, name, others }) => {
    let headers: Record<string, string> = {};
    const seen = new Set<string>();
    for (const [header, value] of others) {
      if (seen.has(header.toLowerCase())) continue;
      seen.add(header.toLowerCase());
      headers = withKey(headers, header, value) as Record<string, string>;
    }
    return contentType === null
      ? headers
      : (withKey(headers, name, contentType) as Record<string, string>);
  });

/** Random headers and content types on valid and invalid bodies: classified by the oracle. */
const headersCaseArb = fc
  .record({ mutated: mutatedArb, parts: validPartsArb(), valid: fc.boolean(), headers: headersArb })
  .map(({ mutated, parts, valid, headers }) =>
    valid
      ? request(parts, {
          category: 'headers and content types',
          body: toJson(parts.body),
          headers,
          mustBeBad: false,
        })
      : { ...mutated, category: 'headers and content types', headers, mustBeBad: false },
  );

// ---------------------------------------------------------------------------------------------------------------
// Generators: orderIds that break the rule
// ---------------------------------------------------------------------------------------------------------------

const badPathArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ parts: validPartsArb(pathRouteArb), id: badOrderIdArb })
      .map(({ parts, id }) =>
        request(
          { ...parts, pathOrderId: id },
          {
            category: 'path orderId',
            body: toJson(parts.body),
            expectErrorPath: 'pathParameters.orderId',
          },
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: validPartsArb(pathRouteArb).map((parts) =>
      request(
        { ...parts, pathOrderId: undefined },
        {
          category: 'path orderId',
          body: toJson(parts.body),
          expectErrorPath: 'pathParameters.orderId',
        },
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: validPartsArb(pathRouteArb).map((parts) =>
      request(parts, {
        category: 'path orderId',
        body: toJson(parts.body),
        pathParametersWithoutOrderId: true,
        expectErrorPath: 'pathParameters.orderId',
      }),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ parts: validPartsArb(fc.constant('created')), id: badOrderIdArb })
      .map(({ parts, id }) =>
        request(parts, {
          category: 'body orderId',
          body: toJson({ ...parts.body, orderId: id }),
          expectErrorPath: 'body.orderId',
        }),
      ),
  },
);

// ---------------------------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------------------------

const seed =
  process.env.BAD_INPUT_SEED === undefined ? undefined : Number(process.env.BAD_INPUT_SEED);
const runs = (numRuns: number) => (seed === undefined ? { numRuns } : { numRuns, seed });
const property = (
  arbitrary: fc.Arbitrary<BadInputRequest>,
  numRuns: number,
  examples: BadInputRequest[] = [],
) =>
  fc.assert(
    fc.asyncProperty(arbitrary, (generated) => exercise(generated)),
    { ...runs(numRuns), examples: examples.map((example) => [example] as [BadInputRequest]) },
  );

type Descriptors = Record<string, [string, PropertyDescriptor][]>;
const PROTOTYPES: Record<string, object> = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
  Number: Number.prototype,
  Boolean: Boolean.prototype,
};
const prototypeSnapshot = (): Descriptors =>
  Object.fromEntries(
    Object.entries(PROTOTYPES).map(([name, prototype]) => [
      name,
      Reflect.ownKeys(prototype).map(
        (key) =>
          [String(key), Object.getOwnPropertyDescriptor(prototype, key)!] as [
            string,
            PropertyDescriptor,
          ],
      ),
    ]),
  );
let prototypesBefore: Descriptors;
const started = Date.now();

beforeAll(() => {
  prototypesBefore = prototypeSnapshot();
});

afterAll(() => {
  const bad = total(figures.badByCategory);
  const lines = [
    '',
    `bad-input property test (unit, createPublishHandler × 3 routes) — ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `  bad inputs tried: ${bad}  (${show(figures.badByCategory)})`,
    `  4xx by status: ${show(figures.byStatus)}`,
    `  4xx by problem type: ${show(figures.bySlug)}`,
    `  5xx seen: ${figures.fiveXx} (handler threw: ${figures.thrown}); records published for bad input: ${figures.publishedForBadInput}`,
    ...figures.fiveXxSamples.map((sample) => `    5xx: ${sample}`),
    `  valid controls accepted (202, exactly one record): ${total(figures.controlsAccepted)}  (${show(figures.controlsAccepted)})`,
    `  valid requests among the classified ones (random input, random headers on valid bodies), accepted with one record: ${total(figures.accidentallyValid)}${figures.accidentallyValid.size ? `  (${show(figures.accidentallyValid)})` : ''}`,
    `  JSON media types in unusual spelling with a valid body: ${figures.variantContentTypes.accepted} accepted, ${figures.variantContentTypes.rejected415} answered 415`,
    `  invalid UTF-8 bodies that a lenient decoder would have turned into a valid event: ${figures.invalidUtf8LenientlyValid} (all refused)`,
    `  deepest nesting refused before parsing: ${figures.deepestRefusedNesting}; largest bad body: ${figures.largestBadBodyBytes} bytes; largest problem document: ${figures.largestProblemBytes} bytes`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
});

describe('bad input never gets a 5xx, never publishes, always gets a problem+json 4xx', () => {
  it('(a) arbitrary text and bytes, malformed and truncated JSON, as body', async () => {
    await property(arbitraryBodyArb, 1_500);
  });

  it('(b) JSON that is not an object', async () => {
    await property(notAnObjectArb, 400);
  });

  it('(c) valid bodies with one field wrong: type, non-finite (1e999), range, length, count, extra or missing key (__proto__, constructor, prototype…)', async () => {
    await property(mutatedArb, 1_800);
  });

  it('(c) bodies over 256 KiB, and strings far over their length', async () => {
    await property(oversizeArb, 60);
  });

  it('(c) thousands of invalid values in one body under 256 KiB: a 400 that lists 20 and stays small', async () => {
    const manyItems = (item: string, count: number) =>
      request(
        { route: 'created', pathOrderId: undefined },
        {
          category: 'thousands of invalid values',
          body: `{"orderId":"o-1","customerId":"c","total":1,"items":[${Array(count).fill(item).join(',')}]}`,
        },
      );
    await property(amplifyingArb, 60, [
      manyItems('{}', 500),
      manyItems('{"sku":1,"quantity":"x","unitPrice":"y"}', 500),
      manyItems('{}', 80_000),
    ]);
  });

  it('(d) deep nesting (up to 130 000 levels) is refused before parsing, and overflows no stack', async () => {
    const validCancel = { reason: 'r' };
    const examples = [
      deepRequest(
        { route: 'cancelled', depth: 10_000, shape: 'array', where: 'whole body', closed: true },
        validCancel,
        'o-1',
      ),
      deepRequest(
        { route: 'cancelled', depth: 100_000, shape: 'array', where: 'field', closed: true },
        validCancel,
        'o-1',
      ),
      deepRequest(
        { route: 'created', depth: 50_000, shape: 'object', where: 'extra key', closed: true },
        {
          orderId: 'o-1',
          customerId: 'c',
          items: [{ sku: 's', quantity: 1, unitPrice: 1 }],
          total: 1,
        },
        undefined,
      ),
      deepRequest(
        { route: 'shipped', depth: 120_000, shape: 'array', where: 'whole body', closed: false },
        { trackingNumber: 't' },
        'o-1',
      ),
    ];
    await fc.assert(
      fc.asyncProperty(deepArb, async (generated) => {
        await exercise(generated);
        // Under the size limit, the handler had to parse all of it.
        if (judge(generated).bodyBytes <= MAX_BODY_BYTES)
          figures.deepestRefusedNesting = Math.max(
            figures.deepestRefusedNesting,
            generated.nesting ?? 0,
          );
      }),
      { ...runs(120), examples: examples.map((example) => [example] as [BadInputRequest]) },
    );
    expect(figures.deepestRefusedNesting).toBeGreaterThanOrEqual(100_000);
  });

  it('(e) invalid UTF-8 sent base64-encoded is refused as invalid-encoding', async () => {
    await fc.assert(
      fc.asyncProperty(invalidUtf8Arb, async (generated) => {
        await exercise(generated);
        // Would the same bytes, decoded leniently (U+FFFD for each bad sequence), have made a valid event?
        const lenient = judge({
          ...generated,
          body: Buffer.from(generated.body ?? '', 'base64').toString('utf8'),
          isBase64Encoded: false,
        });
        if (lenient.failures.length === 0) figures.invalidUtf8LenientlyValid += 1;
      }),
      runs(500),
    );
  });

  it('(f) random headers and content types (casing, missing, text/plain, multipart, JSON with odd parameters)', async () => {
    await property(headersCaseArb, 900);
  });

  it('(g) path orderIds (and body orderIds) that break the rule: empty, over 64, spaces, slashes, unicode, percent-encoding', async () => {
    await property(badPathArb, 700);
  });
});

describe('the valid controls are accepted (so rejection is not all the handler can do)', () => {
  it('(e) a valid body sent base64-encoded: 202 and exactly one record with the fields as sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        validPartsArb(),
        fc.option(jsonContentType, { freq: 2 }),
        async (parts, contentType) => {
          const headers = contentType === null ? JSON_HEADERS() : { 'Content-Type': contentType };
          await exerciseValid(
            request(parts, {
              category: 'valid body, base64-encoded',
              body: Buffer.from(toJson(parts.body)).toString('base64'),
              isBase64Encoded: true,
              headers,
              mustBeBad: false,
            }),
          );
        },
      ),
      runs(300),
    );
  });

  it('(f) a valid body under any JSON media type, any header-name casing, with unrelated headers: 202 and one record', async () => {
    await fc.assert(
      fc.asyncProperty(
        validPartsArb(),
        jsonContentType,
        fc.mixedCase(fc.constant('content-type')),
        fc.array(fc.tuple(headerNameArb, headerValueArb), { maxLength: 4 }),
        async (parts, contentType, name, others) => {
          let headers: Record<string, string> = {};
          for (const [header, value] of others)
            if (!Object.keys(headers).some((key) => key.toLowerCase() === header.toLowerCase()))
              headers = withKey(headers, header, value) as Record<string, string>;
          headers = withKey(headers, name, contentType) as Record<string, string>;
          await exerciseValid(
            request(parts, {
              category: 'valid body, JSON media type',
              body: toJson(parts.body),
              headers,
              mustBeBad: false,
            }),
          );
        },
      ),
      runs(200),
    );
  });
});

describe('bodies as serverless-offline delivers them (a parsed JSON value, not text)', () => {
  // serverless-offline 13 parses an application/json payload itself and, when the value is falsy, puts that value
  // in event.body instead of the text: `false`, `0.0` or `-0` arrive as the boolean false or the number 0, `null`
  // and `""` as null. API Gateway never does this, but `npm start` does: the answer must still be a 4xx.
  it.each([
    ['false', false],
    ['0.0', 0],
    ['-0', -0],
    ['null', null],
    ['""', ''],
  ])(
    'the JSON text %s, delivered as event.body = %p, is a 4xx problem and publishes nothing',
    async (text, value) => {
      const generated: BadInputRequest = {
        route: 'cancelled',
        category: 'non-string event.body (serverless-offline)',
        body: text,
        eventBody: { value },
        isBase64Encoded: false,
        headers: JSON_HEADERS(),
        pathOrderId: 'o-1',
        mustBeBad: true,
      };
      const notAnObject: Verdict = {
        failures: [
          { status: 400, slug: 'invalid-request', paths: ['body'] },
          { status: 400, slug: 'empty-body', paths: ['body'] },
          // The body guard refuses any event.body that is not text before parsing it.
          { status: 400, slug: 'invalid-encoding', paths: ['body'] },
        ],
        maybe: [],
        contentType: 'json',
        bodyBytes: Buffer.byteLength(text),
      };
      expectRejected(generated, notAnObject, await send(generated));
    },
  );
});

describe('the batch route: a 255 KiB batch of invalid values is a 400 under 64 KiB, never a 500', () => {
  it.each([
    ['80 000 empty items', batchOfItems('{}', 80_000)],
    [
      '6 000 items with three wrong fields',
      batchOfItems('{"sku":1,"quantity":"x","unitPrice":"y"}', 6_000),
    ],
    ['130 000 numbers as events', `{"events":[${Array(130_000).fill('1').join(',')}]}`],
    [
      '499 events with 55 unknown keys each',
      `{"events":[${Array(499)
        .fill(
          `{"eventType":"order-cancelled","orderId":"o","reason":"r",${Array.from({ length: 55 }, (_, i) => `"k${i}":0`).join(',')}}`,
        )
        .join(',')}]}`,
    ],
  ])('%s', async (_, body) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const producer = new MockProducer();
    const handler = createRouteHandler(batchRoute, {
      config,
      producer,
      observer: bugsOnlyObserver,
    });
    const response = (await handler(
      httpEvent({ body, headers: JSON_HEADERS(), routeKey: 'POST /order-events/batch' }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const text = String(response.body);
    expect(response.statusCode).toBe(400);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_ANSWER_BYTES);
    const problem = JSON.parse(text) as { errors: unknown[]; detail: string };
    expect(problem.errors.length).toBeGreaterThan(0);
    expect(problem.errors.length).toBeLessThanOrEqual(MAX_ANSWERED_ERRORS);
    expect(producer.sent).toHaveLength(0);
  });
});

describe('no prototype pollution', () => {
  const expectPrototypesAsIn = (before: Descriptors) => {
    const after = prototypeSnapshot();
    for (const [name, descriptors] of Object.entries(before)) {
      const now = after[name]!;
      expect(now.map(([key]) => key)).toEqual(descriptors.map(([key]) => key));
      descriptors.forEach(([key, descriptor], index) => {
        const [, current] = now[index]!;
        expect([key, current.value, current.get, current.set]).toEqual([
          key,
          descriptor.value,
          descriptor.get,
          descriptor.set,
        ]);
      });
    }
    const probe: Record<string, unknown> = {};
    for (const sentinel of POLLUTION_SENTINELS) {
      expect(probe[sentinel]).toBeUndefined();
      expect(sentinel in probe).toBe(false);
      expect(sentinel in []).toBe(false);
    }
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  };

  it('leaves the built-in prototypes as they were after bodies that try to pollute them, on every route', async () => {
    // On its own too (run alone, or before the property tests): these bodies are sent here.
    const before = prototypeSnapshot();
    const [polluted, viaConstructor, isAdmin] = POLLUTION_SENTINELS;
    const bodies = [
      `{"__proto__":{"${polluted}":true}}`,
      `{"constructor":{"prototype":{"${viaConstructor}":true}}}`,
      `{"orderId":"o-1","items":[{"__proto__":{"${isAdmin}":true}}],"__proto__":{"${isAdmin}":true}}`,
    ];
    for (const route of Object.keys(routes) as RouteName[])
      for (const body of bodies) {
        const { response, producer } = await send({
          route,
          category: 'pollution',
          body,
          isBase64Encoded: false,
          headers: JSON_HEADERS(),
          pathOrderId: 'o-1',
          mustBeBad: true,
        });
        expect([route, response?.statusCode, producer.sent.length]).toEqual([route, 400, 0]);
      }
    expectPrototypesAsIn(before);
  });

  it('leaves them as they were after every property test of this file', () => {
    expectPrototypesAsIn(prototypesBefore);
  });
});
