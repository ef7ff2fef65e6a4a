// Bad input over real HTTP: a few hundred generated bad requests go to the three routes of
// the service as `npm start` runs it (embedded broker + serverless-offline). Every answer is a 4xx
// application/problem+json document (or, where the HTTP layer itself refuses the request before any handler runs
// - a path it cannot route or decode, a Content-Type it cannot parse - that layer's own 4xx); none is a 5xx; and
// the topic's end offsets do not move. A last test sends a few valid requests and sees the offsets move by exactly
// that many, so the offset check is known to see a publish.
//
// What the handler receives is what serverless-offline 13 makes of the bytes sent, and the oracle below judges
// that (handlerBody). Its conversions, none of which API Gateway makes:
// - a body whose Content-Type contains multipart/form-data or application/octet-stream arrives base64-encoded;
//   any other body is decoded as UTF-8 leniently (invalid bytes become U+FFFD);
// - an application/json body (media type, any parameters; also when Content-Type is missing, which it then sets
//   to application/json) is parsed by serverless-offline itself: a JSON string arrives as its content (the
//   text "\"{...}\"" as {...}), null and "" as no body, and false or 0 as the boolean or number itself.
// The generated set leaves out the requests those conversions turn into valid ones, or into a non-string body;
// 'what serverless-offline does to a body' below asserts, for each conversion, what the service should answer.
//
// The run prints its figures (bad requests sent, 4xx by status, 5xx seen, offsets before and after).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  amplifyingBodyArb,
  badOrderIdArb as anyBadOrderIdArb,
  invalidUtf8 as anyInvalidUtf8,
  orderIdArb as anyOrderIdArb,
  batchOfItems,
  classifyMediaType,
  DANGEROUS_KEYS,
  ENVELOPE_KEYS,
  firstTextField as firstField,
  isPlainObject,
  judgeBody,
  MAX_ANSWER_BYTES,
  MAX_ANSWERED_ERRORS,
  MAX_BODY_BYTES,
  NON_JSON_CONTENT_TYPES,
  nonFinite,
  ORDER_ID,
  POLLUTION_OBJECTS as POLLUTION,
  type RouteName,
  routeNames,
  validBodyArbs,
} from '../support/bad-input.js';
import { Raw, toJson, withKey } from '../support/json-text.js';
import { bump, show, total } from '../support/tally.js';
import { type RunningService, startService } from './support/service.js';
import { endOffsets } from './support/topic.js';

const TOPIC = 'order-events';
const REQUESTS = 300;

const urlPath = (route: RouteName, encodedOrderId: string) =>
  route === 'created'
    ? '/orders'
    : `/orders/${encodedOrderId}/${route === 'shipped' ? 'shipment' : 'cancellation'}`;

interface BadHttpRequest {
  category: string;
  route: RouteName;
  /** The URL path as sent (its orderId segment already percent-encoded, or deliberately not). */
  path: string;
  body: Buffer;
  contentType: string;
  headers: [string, string][];
  /** Statuses the HTTP layer may answer itself, before any handler (an unroutable path, an unparsable Content-Type). */
  httpLayerMay?: number[];
  /** The answer, when it is known: its status, one of these problem types, and an error naming errorPath. */
  expect?: { status: number; slugs: string[]; errorPath?: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Building bodies (JSON text with raw literals and own "__proto__" keys: tests/support/json-text.ts)
// ---------------------------------------------------------------------------------------------------------------

const without = (object: Record<string, unknown>, key: string) => {
  const copy = { ...object };
  delete copy[key];
  return copy;
};

// ---------------------------------------------------------------------------------------------------------------
// The oracle (tests/support/bad-input.ts), applied to what serverless-offline hands the handler
// ---------------------------------------------------------------------------------------------------------------

/** What serverless-offline 13 hands the handler as event.body (see the top of this file). */
type HandlerBody =
  | { kind: 'text'; text: string }
  | { kind: 'base64'; bytes: Buffer }
  | { kind: 'none' }
  | { kind: 'not a string'; value: unknown };
const handlerBody = (request: BadHttpRequest): HandlerBody => {
  const binary = /multipart\/form-data|application\/octet-stream/.test(request.contentType);
  const mime = request.contentType.split(';')[0]!.trim().toLowerCase() || 'application/json';
  const decoded = request.body.toString(binary ? 'latin1' : 'utf8');
  let value: unknown = decoded;
  if ((mime === 'application/json' || mime === 'application/vnd.api+json') && decoded.length > 1) {
    try {
      value = JSON.parse(decoded);
    } catch {
      // serverless-offline keeps the text
    }
  }
  if (!value)
    return value === '' || value === null ? { kind: 'none' } : { kind: 'not a string', value };
  if (binary) return { kind: 'base64', bytes: request.body };
  return { kind: 'text', text: typeof value === 'string' ? value : decoded };
};

/**
 * "bad": the handler must refuse what it will see; "valid": it must accept it (the generators' accidents, left out);
 * "not a string": a body serverless-offline delivers as a boolean or a number (left out: see the tests below).
 */
const classify = (request: BadHttpRequest): 'bad' | 'valid' | 'not a string' => {
  if (request.httpLayerMay?.includes(404)) return 'bad';
  const body = handlerBody(request);
  if (body.kind === 'not a string') return 'not a string';
  // A JSON media type in an unusual spelling may be accepted: only the others are certainly refused.
  if (classifyMediaType(request.contentType) === 'other') return 'bad';
  if (request.route !== 'created' && !ORDER_ID.test(decodeOrderId(request.path) ?? ''))
    return 'bad';
  if (body.kind === 'none') return 'bad';
  const judged =
    body.kind === 'base64'
      ? judgeBody(request.route, body.bytes.toString('base64'), true)
      : judgeBody(request.route, body.text, false);
  return judged.failures.length > 0 ? 'bad' : 'valid';
};

function decodeOrderId(path: string): string | undefined {
  const segment = path.split('/')[2];
  try {
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

// "." and ".." obey the orderId rule but cannot be sent as a path segment: URLs drop such dot segments
// (/orders/./shipment is /orders/shipment), so they are left out here.
const orderIdArb = anyOrderIdArb.filter((id) => id !== '.' && id !== '..');
interface Parts {
  route: RouteName;
  body: Record<string, unknown>;
  orderId: string;
}
const partsArb: fc.Arbitrary<Parts> = fc
  .constantFrom(...routeNames)
  .chain((route) =>
    fc.record({ route: fc.constant(route), body: validBodyArbs[route], orderId: orderIdArb }),
  );

const JSON_TYPE = 'application/json';
const make = (
  parts: Parts,
  category: string,
  body: string | Buffer,
  rest: Partial<BadHttpRequest> = {},
): BadHttpRequest => {
  const request: BadHttpRequest = {
    category,
    route: parts.route,
    path: urlPath(parts.route, encodeURIComponent(parts.orderId)),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    contentType: JSON_TYPE,
    headers: [],
    ...rest,
  };
  // A body the generator made invalid that also ended up over the limit is refused for its size first.
  if (request.expect?.slugs.includes('invalid-request') && request.body.length > MAX_BODY_BYTES)
    request.expect = { status: 413, slugs: ['payload-too-large'] };
  return request;
};
const invalidRequest = (errorPath?: string) => ({
  status: 400,
  slugs: ['invalid-request'],
  ...(errorPath ? { errorPath } : {}),
});

/** A valid body with one thing wrong. */
const mutatedArb = partsArb.chain((parts) => {
  const { route, body } = parts;
  const field = firstField[route];
  const set = (key: string, value: unknown, errorPath = `body.${key}`) => ({
    json: toJson(withKey(body, key, value)),
    errorPath,
  });
  const options: fc.Arbitrary<{ json: string; errorPath: string }>[] = [
    fc
      .oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant([]),
        fc.constant({}),
        fc.constant(''),
        fc.integer({ min: 1, max: 3 }).map((n) => 'x'.repeat(1024 * n + 1)),
      )
      .map((value) => set(field, value)),
    fc
      .constantFrom(...DANGEROUS_KEYS, ...ENVELOPE_KEYS)
      .chain((key) => fc.constantFrom(...POLLUTION).map((value) => set(key, value, 'body'))),
    fc.constant({ json: toJson(without(body, field)), errorPath: `body.${field}` }),
  ];
  if (route === 'created') {
    const items = body.items as Record<string, unknown>[];
    options.push(
      fc
        .oneof(nonFinite, fc.constantFrom(-1, -0.01, 1e12 + 1, 1e300, '19', null))
        .map((value) => set('total', value)),
      fc
        .oneof(nonFinite, fc.constantFrom(0, -1, 1.5, 1_000_001, '2', null))
        .map((value) => set('items', [{ ...items[0], quantity: value }], 'body.items.0.quantity')),
      fc.integer({ min: 501, max: 2_000 }).map((count) =>
        set(
          'items',
          Array.from({ length: count }, () => items[0]),
        ),
      ),
      fc.constantFrom([], {}, 'items', [[]]).map((value) => set('items', value)),
      fc
        .oneof(fc.constantFrom('', 'a b', 'o/1', 'ö-1', 'x'.repeat(65), '%2F'), fc.integer())
        .map((value) => set('orderId', value)),
      fc.constantFrom('usd', 'US', 'EURO', 'U5D', null, 978).map((value) => set('currency', value)),
      fc
        .constantFrom(...DANGEROUS_KEYS)
        .map((key) => set('items', [withKey(items[0]!, key, POLLUTION[0])], 'body.items.0')),
    );
  }
  return fc
    .oneof(...options)
    .map(({ json, errorPath }) =>
      make(parts, 'mutated field', json, { expect: invalidRequest(errorPath) }),
    );
});

const notAnObjectArb = partsArb.chain((parts) =>
  fc
    .oneof(
      fc
        .jsonValue({ maxDepth: 2 })
        .filter((value) => !isPlainObject(value))
        .map((value) => JSON.stringify(value)),
      fc.constantFrom(
        toJson([parts.body]),
        JSON.stringify(toJson(parts.body)),
        'null',
        '""',
        'false',
        '0.0',
        '1e999',
        '[]',
        '"{}"',
      ),
    )
    .map((json) => {
      // serverless-offline delivers null and "" as no body, and a JSON string as its content (see the top).
      const parsed = JSON.parse(json) as unknown;
      const expected =
        parsed === null || parsed === ''
          ? { status: 400, slugs: ['invalid-request', 'empty-body'] }
          : typeof parsed === 'string'
            ? { status: 400, slugs: ['invalid-request', 'malformed-json'] }
            : invalidRequest('body');
      return make(parts, 'JSON that is not an object', json, { expect: expected });
    }),
);

const malformedArb = partsArb.chain((parts) => {
  const json = toJson(parts.body);
  return fc
    .oneof(
      fc.integer({ min: 1, max: json.length - 1 }).map((end) => json.slice(0, end)),
      fc.constantFrom(
        `${json},`,
        `${json}}`,
        json.replace(/"/g, "'"),
        json.replace(/}$/, ',}'),
        `${json}${json}`,
        'NaN',
        '{',
        ' ',
        `/*c*/${json}`,
      ),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 }),
      fc.uint8Array({ minLength: 1, maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
    )
    .map((body) => make(parts, 'malformed or random body', body));
});

type Shape = 'array' | 'object';
const deepArb = fc
  .record({
    parts: partsArb,
    depth: fc.integer({ min: 1_000, max: 100_000 }),
    shape: fc.constantFrom<Shape>('array', 'object'),
    inField: fc.boolean(),
    closed: fc.boolean(),
  })
  .map(({ parts, depth, shape, inField, closed }) => {
    const levels = shape === 'object' ? Math.min(depth, 50_000) : depth;
    const nested =
      shape === 'array'
        ? '['.repeat(levels) + (closed ? ']'.repeat(levels) : '')
        : '{"a":'.repeat(levels) + (closed ? `1${'}'.repeat(levels)}` : '');
    const json = inField
      ? toJson(withKey(parts.body, firstField[parts.route], new Raw(nested)))
      : nested;
    return make(parts, 'deep nesting', json);
  });

const oversizeArb = fc
  .record({
    parts: partsArb,
    extra: fc.integer({ min: 1, max: 700_000 }),
    char: fc.constantFrom('x', 'é', '😀'),
  })
  .map(({ parts, extra, char }) => {
    const count = Math.ceil((MAX_BODY_BYTES + extra) / Buffer.byteLength(char));
    return make(
      parts,
      'over 256 KiB',
      toJson(withKey(parts.body, firstField[parts.route], char.repeat(count))),
      { expect: { status: 413, slugs: ['payload-too-large'] } },
    );
  });

// Sent raw, the bytes are decoded leniently by serverless-offline: only bytes of 0x80 and above, so that what
// replaces them (U+FFFD) stays inside the JSON string instead of also breaking the JSON.
const invalidUtf8 = anyInvalidUtf8.filter((bytes) => bytes.every((b) => b >= 0x80));
const MARK = 'MARK\u0001';
const withBytesInField = (parts: Parts, bytes: number[], body = parts.body) => {
  const [before, after] = toJson(withKey(body, firstField[parts.route], MARK)).split(
    JSON.stringify(MARK).slice(1, -1),
  );
  return Buffer.concat([Buffer.from(before ?? ''), Buffer.from(bytes), Buffer.from(after ?? '')]);
};
const invalidUtf8Arb = fc.oneof(
  // Taken through the base64 path (serverless-offline base64-encodes multipart/*): the handler must refuse it.
  fc
    .record({
      parts: partsArb,
      bytes: invalidUtf8,
      param: fc.constantFrom('x=multipart/form-data', 'boundary="multipart/form-data"'),
    })
    .map(({ parts, bytes, param }) =>
      make(parts, 'invalid UTF-8 (base64 path)', withBytesInField(parts, bytes), {
        contentType: `application/json; ${param}`,
        expect: { status: 400, slugs: ['invalid-encoding'] },
      }),
    ),
  // Sent raw, in a body that is bad anyway (an extra key): decoded leniently, it must still be refused.
  fc
    .record({ parts: partsArb, bytes: invalidUtf8 })
    .map(({ parts, bytes }) =>
      make(
        parts,
        'invalid UTF-8 (raw, bad body)',
        withBytesInField(parts, bytes, withKey(parts.body, '__proto__', POLLUTION[0])),
        { expect: invalidRequest('body') },
      ),
    ),
);

const otherContentType = fc.oneof(
  fc.constantFrom(...NON_JSON_CONTENT_TYPES),
  fc
    .stringMatching(/^[!-~]{1,30}$/)
    .filter((type) => !/^application\//i.test(type) && !/json/i.test(type)),
);
const headerArb = fc.tuple(
  fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/).map((name) => `x-${name}`),
  fc.stringMatching(/^[ -~]{0,40}$/).map((value) => value.trim()),
);
const contentTypeArb = partsArb.chain((parts) =>
  fc.oneof(
    // Not JSON, on a valid body: 415.
    fc
      .record({ type: otherContentType, headers: fc.array(headerArb, { maxLength: 4 }) })
      .map(({ type, headers }) =>
        make(parts, 'content type', toJson(parts.body), {
          contentType: type,
          headers,
          expect: { status: 415, slugs: ['unsupported-media-type'] },
          httpLayerMay: [400],
        }),
      ),
    // JSON with odd casing or parameters, on a body that is bad (an extra key): 400 or 415, never a publish.
    fc
      .record({
        type: fc.oneof(
          fc.mixedCase(fc.constant('application/json')),
          fc.constantFrom(
            'application/json; charset=utf-16',
            'application/json;;',
            'application/json; foo="a;b"',
            'application/vnd.x+json; v=2',
            'application/json, text/plain',
          ),
        ),
        headers: fc.array(headerArb, { maxLength: 4 }),
      })
      .map(({ type, headers }) =>
        make(parts, 'content type', toJson(withKey(parts.body, 'constructor', POLLUTION[3])), {
          contentType: type,
          headers,
          httpLayerMay: [400],
        }),
      ),
  ),
);

/** What the HTTP layer may answer for a path it cannot route (404, 405; 401 if auth ran first) or decode (400). */
const BROKEN_PATH = [400, 401, 404, 405];
// An empty orderId is no path segment at all (/orders//shipment): the 'empty' form below sends that.
const badOrderIdArb = anyBadOrderIdArb.filter((id) => id !== '');
const pathArb = fc
  .record({
    parts: partsArb.filter((parts) => parts.route !== 'created'),
    id: badOrderIdArb,
    form: fc.constantFrom('encoded', 'encoded', 'empty', 'slash', 'bad-escape'),
    badEscape: fc.constantFrom('%zz', '%FF', '%C3', '%G1', '%'),
  })
  .map(({ parts, id, form, badEscape }) => {
    const body = toJson(parts.body);
    switch (form) {
      case 'encoded':
        return make({ ...parts, orderId: id }, 'path orderId', body, {
          expect: invalidRequest('pathParameters.orderId'),
        });
      case 'empty':
        return make(parts, 'path orderId', body, {
          path: urlPath(parts.route, ''),
          httpLayerMay: BROKEN_PATH,
        });
      case 'slash':
        return make(parts, 'path orderId', body, {
          path: urlPath(parts.route, `${encodeURIComponent(parts.orderId)}/x`),
          httpLayerMay: BROKEN_PATH,
        });
      default:
        return make(parts, 'path orderId', body, {
          path: urlPath(parts.route, `${encodeURIComponent(parts.orderId)}${badEscape}`),
          httpLayerMay: BROKEN_PATH,
        });
    }
  });

/** Thousands of invalid values in one body under 256 KiB: invalid items, unknown keys. */
const amplifyingArb = partsArb.chain((parts) =>
  amplifyingBodyArb(parts.route, parts.body).map((body) =>
    make(parts, 'thousands of invalid values', body, { expect: invalidRequest() }),
  ),
);

/** The bad requests, each certainly bad as the handler (or the HTTP layer) will see it. */
const badRequestArb = fc
  .oneof(
    { weight: 7, arbitrary: mutatedArb },
    { weight: 2, arbitrary: notAnObjectArb },
    { weight: 4, arbitrary: malformedArb },
    { weight: 1, arbitrary: deepArb },
    { weight: 1, arbitrary: oversizeArb },
    { weight: 2, arbitrary: invalidUtf8Arb },
    { weight: 3, arbitrary: contentTypeArb },
    { weight: 3, arbitrary: pathArb },
    { weight: 1, arbitrary: amplifyingArb },
  )
  .filter((request) => classify(request) === 'bad');

// ---------------------------------------------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------------------------------------------

let service: RunningService;
let offsetsBefore: Record<number, string>;
let offsetsAfterBadInput: Record<number, string> | undefined;
const started = Date.now();
const figures = {
  sent: new Map<string, number>(),
  byStatus: new Map<number, number>(),
  problemTypes: new Map<string, number>(),
  httpLayer: new Map<string, number>(),
  fiveXx: 0,
  fiveXxSamples: [] as string[],
  seconds: 0,
  seed: 0,
  conversions: [] as string[],
};
const sumOffsets = (offsets: Record<number, string>) =>
  Object.values(offsets).reduce((sum, offset) => sum + BigInt(offset), 0n);

const STACK_TRACE =
  /\n\s+at |\bat .+\(.+:\d+:\d+\)|node_modules\/|\.[cm]?[jt]s:\d+:\d+|Maximum call stack|RangeError:|TypeError:|ReferenceError:|SyntaxError:/;
const describeRequest = (request: BadHttpRequest) =>
  `${request.category}: POST ${request.path} content-type ${JSON.stringify(request.contentType)} body ${JSON.stringify(request.body.subarray(0, 200).toString('latin1'))}${request.body.length > 200 ? `… (${request.body.length} bytes)` : ''}`;

const post = (request: BadHttpRequest) =>
  fetch(`${service.http}${request.path}`, {
    method: 'POST',
    headers: {
      ...service.authHeaders,
      ...Object.fromEntries(request.headers),
      'content-type': request.contentType,
    },
    body: request.body,
    signal: AbortSignal.timeout(30_000),
  });

const exercise = async (request: BadHttpRequest) => {
  bump(figures.sent, request.category);
  const response = await post(request);
  const text = await response.text();
  const { status } = response;
  if (status >= 500) {
    figures.fiveXx += 1;
    if (figures.fiveXxSamples.length < 5)
      figures.fiveXxSamples.push(`${describeRequest(request)} -> ${status} ${text.slice(0, 300)}`);
    throw new Error(`answered ${status}: ${text.slice(0, 300)}`);
  }
  if (status < 400) throw new Error(`answered ${status}: ${text.slice(0, 300)}`);
  bump(figures.byStatus, status);
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) {
    // Only the HTTP layer answers otherwise, and only where it refuses the request itself.
    if (!request.httpLayerMay?.includes(status))
      throw new Error(`not problem+json: ${status} ${contentType}: ${text.slice(0, 200)}`);
    bump(figures.httpLayer, `${status} ${request.category}`);
    return;
  }
  expect(text).not.toMatch(STACK_TRACE);
  // Bad input never amplifies: whatever the body, the answer stays small.
  expect(Buffer.byteLength(text)).toBeLessThan(MAX_ANSWER_BYTES);
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(
    Object.keys(problem).every((key) =>
      ['type', 'title', 'status', 'detail', 'errors'].includes(key),
    ),
  ).toBe(true);
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe('string');
  const errors = problem.errors as { path: unknown; message: unknown }[] | undefined;
  if (errors !== undefined) {
    expect(Array.isArray(errors)).toBe(true);
    expect(errors.length).toBeLessThanOrEqual(MAX_ANSWERED_ERRORS);
    for (const error of errors) {
      expect(Object.keys(error).sort()).toEqual(['message', 'path']);
      expect(typeof error.path).toBe('string');
      expect(typeof error.message).toBe('string');
    }
  }
  const slug = String(problem.type).split(':').pop() ?? '';
  bump(figures.problemTypes, `${status} ${slug}`);
  if (request.expect) {
    if (status !== request.expect.status || !request.expect.slugs.includes(slug)) {
      throw new Error(
        `answered ${status} ${slug}, expected ${request.expect.status} ${request.expect.slugs.join(' or ')}`,
      );
    }
    const { errorPath } = request.expect;
    if (
      errorPath !== undefined &&
      slug === 'invalid-request' &&
      !(errors ?? []).some(
        ({ path }) => path === errorPath || String(path).startsWith(`${errorPath}.`),
      )
    ) {
      throw new Error(`the errors ${JSON.stringify(errors)} do not name ${errorPath}`);
    }
  }
};

beforeAll(async () => {
  service = await startService({ http: 3320, lambda: 3322, broker: 19320 });
  offsetsBefore = await endOffsets(service.kafkaBrokers, TOPIC);
}, 180_000);

afterAll(async () => {
  figures.seconds = (Date.now() - started) / 1000;
  const lines = [
    '',
    `bad-input test (e2e, serverless-offline + embedded broker) — ${figures.seconds.toFixed(1)} s before stopping the service; seed ${figures.seed}`,
    `  bad requests sent: ${total(figures.sent)}  (${show(figures.sent)})`,
    `  4xx by status: ${show(figures.byStatus)}`,
    `  problem+json answers by type: ${show(figures.problemTypes)}`,
    `  answered by the HTTP layer itself (serverless-offline/hapi, not problem+json): ${total(figures.httpLayer)}${figures.httpLayer.size ? `  (${show(figures.httpLayer)})` : ''}`,
    `  5xx seen: ${figures.fiveXx}`,
    ...figures.fiveXxSamples.map((sample) => `    5xx: ${sample}`),
    `  end offsets of ${TOPIC} before: ${JSON.stringify(offsetsBefore ?? null)}, after the bad requests: ${JSON.stringify(offsetsAfterBadInput ?? null)}`,
    `  bodies serverless-offline converts before the handler sees them (tested one by one):`,
    ...figures.conversions.map((line) => `    ${line}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await service?.stop();
}, 60_000);

describe('bad requests over HTTP', () => {
  it(`${REQUESTS} generated bad requests: every one a 4xx problem+json (or the HTTP layer's own 4xx for a broken path), none a 5xx, and nothing published`, async () => {
    // All of them are sent even when one fails, so the figures and the list of failures are complete.
    // BAD_INPUT_SEED=<n> sends the same requests again.
    const seed =
      process.env.BAD_INPUT_SEED === undefined
        ? Date.now() ^ Math.floor(Math.random() * 0x7fffffff)
        : Number(process.env.BAD_INPUT_SEED);
    figures.seed = seed;
    const failures: string[] = [];
    for (const request of fc.sample(badRequestArb, { numRuns: REQUESTS, seed })) {
      try {
        await exercise(request);
      } catch (error) {
        failures.push(
          `${describeRequest(request)}\n      -> ${String((error as Error).message)
            .replace(new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g'), '') // colour codes
            .split('\n')
            .filter(Boolean)
            .slice(0, 3)
            .join(' | ')}`,
        );
      }
    }
    offsetsAfterBadInput = await endOffsets(service.kafkaBrokers, TOPIC);
    expect(total(figures.sent)).toBe(REQUESTS);
    expect({
      endOffsets: offsetsAfterBadInput,
      fiveXx: figures.fiveXx,
      failures: failures.slice(0, 12),
      failureCount: failures.length,
      seed,
    }).toEqual({
      endOffsets: offsetsBefore,
      fiveXx: 0,
      failures: [],
      failureCount: 0,
      seed,
    });
  }, 120_000);

  describe('what serverless-offline does to a body before the handler sees it: bad input the service must still refuse', () => {
    /** Sends one request and answers what came back and how many records the topic gained meanwhile. */
    const refusal = async (
      route: string,
      body: Buffer,
      contentType: string | undefined,
      statuses: number[],
    ) => {
      const before = await endOffsets(service.kafkaBrokers, TOPIC);
      const response = await fetch(`${service.http}${route}`, {
        method: 'POST',
        headers: {
          ...service.authHeaders,
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        },
        body, // bytes: fetch adds no Content-Type of its own
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      const published = Number(
        sumOffsets(await endOffsets(service.kafkaBrokers, TOPIC)) - sumOffsets(before),
      );
      const problem = (response.headers.get('content-type') ?? '').startsWith(
        'application/problem+json',
      );
      const answer = `${response.status} ${
        problem
          ? String((JSON.parse(text) as { type?: string }).type)
              .split(':')
              .pop()
          : text.slice(0, 120)
      }`;
      figures.conversions.push(
        `${JSON.stringify(body.toString('latin1'))} (${contentType ?? 'no Content-Type'}) -> ${answer}; records published: ${published}`,
      );
      return {
        statusAllowed: statuses.includes(response.status),
        problemJson: problem,
        published,
        answer,
      };
    };
    const refused = { statusAllowed: true, problemJson: true, published: 0 };

    it.each(['false', '0.0', '-0'])(
      'the JSON text %s (application/json), delivered as a boolean or number, is a 400 problem, not a 500',
      async (json) => {
        expect(
          await refusal('/orders/o-1/cancellation', Buffer.from(json), JSON_TYPE, [400]),
        ).toMatchObject(refused);
      },
    );

    // Three more conversions of serverless-offline's are not tested here because no handler can undo them:
    // it unwraps a JSON string body into its content, fills in a missing Content-Type as application/json,
    // and decodes bytes that are not UTF-8 leniently. API Gateway does none of that: it hands the handler
    // the body as sent, and the handler-level property tests (tests/lib/http/bad-input.property.test.ts)
    // show those requests refused there. The README lists these local differences.
  });

  describe('bad input that would amplify: answered small, never 5xx, nothing published', () => {
    it.each([
      ['80 000 empty items (past the element bound)', batchOfItems('{}', 80_000)],
      [
        '6 000 items with three wrong fields each (18 000 invalid values)',
        batchOfItems('{"sku":1,"quantity":"x","unitPrice":"y"}', 6_000),
      ],
      [
        '3 900 events with an unknown key each',
        `{"events":[${Array(3_900).fill('{"eventType":"order-cancelled","orderId":"o","reason":"r","x":1}').join(',')}]}`,
      ],
    ])('a batch of %s, under 256 KiB: 400 with a problem under 64 KiB', async (_, body) => {
      expect(Buffer.byteLength(body)).toBeGreaterThan(200 * 1024);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      const before = await endOffsets(service.kafkaBrokers, TOPIC);
      const response = await fetch(`${service.http}/order-events/batch`, {
        method: 'POST',
        headers: { ...service.authHeaders, 'content-type': JSON_TYPE },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      expect([response.status, response.headers.get('content-type')]).toEqual([
        400,
        'application/problem+json',
      ]);
      expect(Buffer.byteLength(text)).toBeLessThan(MAX_ANSWER_BYTES);
      const problem = JSON.parse(text) as { type: string; errors: unknown[] };
      expect(problem.type).toMatch(/:invalid-request$/);
      expect(problem.errors.length).toBeGreaterThan(0);
      expect(problem.errors.length).toBeLessThanOrEqual(20);
      expect(await endOffsets(service.kafkaBrokers, TOPIC)).toEqual(before);
    });

    it('an order of an object with every key the body can hold: 400 with a problem under 64 KiB', async () => {
      const keys = Array.from({ length: 15_000 }, (_, i) => `"key-${i}":1`).join(',');
      const response = await fetch(`${service.http}/orders/o-1/cancellation`, {
        method: 'POST',
        headers: { ...service.authHeaders, 'content-type': JSON_TYPE },
        body: `{"reason":"r",${keys}}`,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      expect(Buffer.byteLength(`{"reason":"r",${keys}}`)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(response.status).toBe(400);
      expect(Buffer.byteLength(text)).toBeLessThan(4 * 1024);
    });
  });

  it('the offset check sees a publish: four valid requests (one base64-encoded by the HTTP layer) move the end offsets by exactly four', async () => {
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    const valid = [
      {
        path: '/orders',
        body: {
          orderId: 'bad-input-control-1',
          customerId: 'c-1',
          items: [{ sku: 'S', quantity: 1, unitPrice: 2 }],
          total: 2,
        },
        contentType: JSON_TYPE,
      },
      {
        path: '/orders/bad-input-control-1/shipment',
        body: { trackingNumber: 'T-1' },
        contentType: JSON_TYPE,
      },
      {
        path: '/orders/bad-input-control-1/cancellation',
        body: { reason: 'control' },
        contentType: JSON_TYPE,
      },
      {
        path: '/orders/bad-input-control-1/cancellation',
        body: { reason: 'contrôle — base64 ✓' },
        contentType: 'application/json; x=multipart/form-data',
      },
    ];
    for (const { path, body, contentType } of valid) {
      const response = await fetch(`${service.http}${path}`, {
        method: 'POST',
        headers: { ...service.authHeaders, 'content-type': contentType },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      expect(response.status).toBe(202);
    }
    expect(sumOffsets(await endOffsets(service.kafkaBrokers, TOPIC)) - sumOffsets(before)).toBe(4n);
  });
});
