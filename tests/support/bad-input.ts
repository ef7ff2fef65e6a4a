// What both bad-input suites share: the oracle (what the README says a valid request is, written independently of
// lib/) and the generators of valid and bad values. tests/lib/http/bad-input.property.test.ts sends what they make
// through the handlers, tests/e2e/bad-input.test.ts over HTTP to the service as `npm start` runs it.
import fc from 'fast-check';
import { raw, toJson, withKey } from './json-text.js';

// ---------------------------------------------------------------------------------------------------------------
// The three single-event routes
// ---------------------------------------------------------------------------------------------------------------

export type RouteName = 'created' | 'shipped' | 'cancelled';
export const routeNames: readonly RouteName[] = ['created', 'shipped', 'cancelled'];
export const pathRoutes: readonly RouteName[] = ['shipped', 'cancelled'];
export const routeArb = fc.constantFrom(...routeNames);
export const pathRouteArb = fc.constantFrom(...pathRoutes);

export const requiredFields: Record<RouteName, string[]> = {
  created: ['orderId', 'customerId', 'items', 'total'],
  shipped: ['trackingNumber'],
  cancelled: ['reason'],
};

/** Each route's first text field: where a generator puts a huge, nested or oddly encoded value. */
export const firstTextField: Record<RouteName, string> = {
  created: 'customerId',
  shipped: 'trackingNumber',
  cancelled: 'reason',
};

// ---------------------------------------------------------------------------------------------------------------
// Limits, as the README states them
// ---------------------------------------------------------------------------------------------------------------

export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_NESTING = 16;
/** More array elements than any request holds (an empty array counts as one). */
export const MAX_ARRAY_ELEMENTS = 8_000;
/** An invalid request's answer lists at most this many errors. */
export const MAX_ANSWERED_ERRORS = 20;
/** No answer to bad input is bigger than this, whatever the input (Lambda's own limit is 6 MB). */
export const MAX_ANSWER_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Editing bodies at a path (JSON text with raw literals and own "__proto__" keys: json-text.ts)
// ---------------------------------------------------------------------------------------------------------------

export type Path = readonly (string | number)[];

export const setAt = (root: unknown, path: Path, value: unknown): unknown => {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[head as number] = setAt(root[head as number], rest, value);
    return copy;
  }
  const object = root as Record<string, unknown>;
  return withKey(object, String(head), setAt(object[String(head)], rest, value));
};

export const deleteAt = (root: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...root };
  delete copy[key];
  return copy;
};

export const errorPathOf = (path: Path) => ['body', ...path].join('.');

// ---------------------------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------------------------

export const ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (max: number) => (value: unknown) =>
  typeof value === 'string' && value.length >= 1 && value.length <= max;
const isAmount = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1e12;
const isQuantity = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000;
export const isOrderId = (value: unknown) => typeof value === 'string' && ORDER_ID.test(value);

type Check = (value: unknown, at: string) => string[];
interface Field {
  required: boolean;
  check: Check;
}
const leaf =
  (ok: (value: unknown) => boolean): Check =>
  (value, at) =>
    ok(value) ? [] : [at];
const required = (check: Check): Field => ({ required: true, check });
const optional = (check: Check): Field => ({ required: false, check });

/** A strict object: every unknown key is an error at the object's path, every missing required field at its own. */
const checkObject = (value: unknown, at: string, fields: Record<string, Field>): string[] => {
  if (!isPlainObject(value)) return [at];
  const errors: string[] = [];
  for (const key of Object.keys(value)) if (!Object.hasOwn(fields, key)) errors.push(at);
  for (const [key, field] of Object.entries(fields)) {
    if (!Object.hasOwn(value, key)) {
      if (field.required) errors.push(`${at}.${key}`);
      continue;
    }
    errors.push(...field.check(value[key], `${at}.${key}`));
  }
  return errors;
};

export const itemFields: Record<string, Field> = {
  sku: required(leaf(isText(64))),
  quantity: required(leaf(isQuantity)),
  unitPrice: required(leaf(isAmount)),
};

const bodyFields: Record<RouteName, Record<string, Field>> = {
  created: {
    orderId: required(leaf(isOrderId)),
    customerId: required(leaf(isText(64))),
    items: required((value, at) => {
      if (!Array.isArray(value)) return [at];
      const errors = value.length < 1 || value.length > 500 ? [at] : [];
      value.forEach((item, index) => {
        errors.push(...checkObject(item, `${at}.${index}`, itemFields));
      });
      return errors;
    }),
    total: required(leaf(isAmount)),
    currency: optional(leaf((value) => typeof value === 'string' && /^[A-Z]{3}$/.test(value))),
  },
  shipped: { trackingNumber: required(leaf(isText(128))), carrier: optional(leaf(isText(64))) },
  cancelled: { reason: required(leaf(isText(1024))) },
};

export const allowedKeys = (route: RouteName) => new Set(Object.keys(bodyFields[route]));

/** The paths of everything wrong with a parsed body; none for a valid one. */
export const bodyErrors = (route: RouteName, value: unknown): string[] =>
  checkObject(value, 'body', bodyFields[route]);

/** How deep the text nests brackets, counted without parsing it (brackets inside strings do not count). */
export const maxNesting = (text: string): number => {
  let depth = 0;
  let deepest = 0;
  const outsideStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const char of outsideStrings) {
    if (char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ']' || char === '}') depth -= 1;
  }
  return deepest;
};

/** The elements of every array in a parsed value (an empty array counts as one); call it on shallow values only. */
export const arrayElements = (value: unknown): number => {
  if (Array.isArray(value))
    return Math.max(1, value.length) + value.reduce<number>((n, v) => n + arrayElements(v), 0);
  if (isPlainObject(value))
    return Object.values(value).reduce<number>((n, v) => n + arrayElements(v), 0);
  return 0;
};

/**
 * Content types. "json": application/json or application/<name>+json, lower case, with `;param=value` parameters
 * (README: accepted). "variant": the same media type written in a form RFC 9110 also allows (upper case, spaces
 * around `;`, an empty parameter): accepting it or answering 415 are both correct. "other": not JSON, or missing.
 */
export type ContentTypeClass = 'json' | 'variant' | 'other';
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const JSON_MEDIA_TYPE = new RegExp(
  `^application/(?:[a-z0-9][a-z0-9!#$&^_.-]*\\+)?json(?:; ?${TOKEN}=(?:${TOKEN}|"[^"\\\\]*"))*$`,
);

export const classifyMediaType = (value: string | undefined): ContentTypeClass => {
  if (value === undefined) return 'other';
  if (JSON_MEDIA_TYPE.test(value)) return 'json';
  const normalized = value
    .trim()
    .toLowerCase()
    .replace(/\s*;\s*/g, '; ')
    .replace(/;\s*$/, '');
  return JSON_MEDIA_TYPE.test(normalized) ? 'variant' : 'other';
};

export interface Outcome {
  status: number;
  slug: string;
  /** For invalid-request: the paths the oracle finds wrong. */
  paths: string[];
}

/**
 * What a handler must answer a body's text (or bytes, when base64-encoded), decided from the README's rules:
 * empty, over 256 KiB, not UTF-8, nested deeper than 16 levels, more array elements than any request holds, not
 * JSON, not valid for the route. `failures` is empty for a valid body.
 */
export const judgeBody = (
  route: RouteName,
  body: string | undefined,
  isBase64Encoded: boolean,
): { failures: Outcome[]; parsed?: unknown; bodyBytes: number } => {
  const failures: Outcome[] = [];
  if (body === undefined || body === '') {
    failures.push({ status: 400, slug: 'empty-body', paths: ['body'] });
    return { failures, bodyBytes: 0 };
  }
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES)
    failures.push({ status: 413, slug: 'payload-too-large', paths: [] });
  if (bytes.length === 0) {
    failures.push({ status: 400, slug: 'empty-body', paths: ['body'] });
    return { failures, bodyBytes: 0 };
  }
  let text = body;
  if (isBase64Encoded) {
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      failures.push({ status: 400, slug: 'invalid-encoding', paths: ['body'] });
      return { failures, bodyBytes: bytes.length };
    }
  }
  if (maxNesting(text) > MAX_NESTING) {
    failures.push({ status: 400, slug: 'invalid-request', paths: ['body'] });
    return { failures, bodyBytes: bytes.length };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    failures.push({ status: 400, slug: 'malformed-json', paths: ['body'] });
    return { failures, bodyBytes: bytes.length };
  }
  if (arrayElements(parsed) > MAX_ARRAY_ELEMENTS) {
    failures.push({ status: 400, slug: 'invalid-request', paths: ['body'] });
    return { failures, parsed, bodyBytes: bytes.length };
  }
  const errors = bodyErrors(route, parsed);
  if (errors.length > 0) failures.push({ status: 400, slug: 'invalid-request', paths: errors });
  return { failures, parsed, bodyBytes: bytes.length };
};

// ---------------------------------------------------------------------------------------------------------------
// Generators: valid bodies (the raw material)
// ---------------------------------------------------------------------------------------------------------------

export const orderIdArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
export const textArb = (max: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 24) }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: Math.min(max, 24) }),
    )
    .filter((text) => text.length >= 1 && text.length <= max);
export const amountArb = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }),
  fc.double({ min: 0, max: 1e12, noNaN: true }),
);
export const itemArb = fc.record({
  sku: textArb(64),
  quantity: fc.integer({ min: 1, max: 1_000_000 }),
  unitPrice: amountArb,
});

export const validBodyArbs: Record<RouteName, fc.Arbitrary<Record<string, unknown>>> = {
  created: fc.record(
    {
      orderId: orderIdArb,
      customerId: textArb(64),
      items: fc.array(itemArb, { minLength: 1, maxLength: 4 }),
      total: amountArb,
      currency: fc.stringMatching(/^[A-Z]{3}$/),
    },
    { requiredKeys: ['orderId', 'customerId', 'items', 'total'] },
  ),
  shipped: fc.record(
    { trackingNumber: textArb(128), carrier: textArb(64) },
    { requiredKeys: ['trackingNumber'] },
  ),
  cancelled: fc.record({ reason: textArb(1024) }),
};

// ---------------------------------------------------------------------------------------------------------------
// Generators: bad values
// ---------------------------------------------------------------------------------------------------------------

/** Non-finite numbers as JSON text: JSON.parse turns them into ±Infinity. */
export const nonFinite = fc
  .constantFrom('1e999', '-1e999', '1E400', '-2e308', '1e309', '9'.repeat(400), '0.1e99999')
  .map(raw);

/** The properties pollutionValue would add to a prototype, were a key like __proto__ ever merged. */
export const POLLUTION_SENTINELS = ['polluted', 'pollutedViaConstructor', 'isAdmin'] as const;
export const POLLUTION_OBJECTS: readonly unknown[] = [
  '{"polluted":"yes"}',
  '{"prototype":{"pollutedViaConstructor":"yes"}}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
].map((text) => JSON.parse(text) as unknown);
export const pollutionValue = fc.oneof(
  fc.constantFrom(...POLLUTION_OBJECTS),
  fc.jsonValue({ maxDepth: 2 }),
);
export const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '__lookupGetter__',
  'isPrototypeOf',
];
/** Keys of the record's envelope: a body must not be able to smuggle them in. */
export const ENVELOPE_KEYS = ['eventId', 'eventType', 'timestamp'];

const ORDER_ID_CHARS = 'ABCXYZabcxyz0189._:-';
const orderIdPart = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...ORDER_ID_CHARS), maxLength });
const badOrderIdChar = fc.oneof(
  fc.constantFrom(
    ...[' ', '/', '\\', '%', '?', '#', '&', '=', '+', '@', '!', '*', "'", '"', '(', ')', ','],
    ...[';', '<', '>', '[', ']', '{', '}', '|', '~', '$', '^', '`'],
  ),
  fc.constantFrom('\u0000', '\n', '\r', '\t', '\u007f', '\u00a0', '\u200b', '\ufeff', '\u2028'),
  fc.constantFrom('é', 'ü', 'Ω', 'ø', '中', '😀', 'ｏ', 'о', 'İ', 'ß'),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
    .filter((char) => !/^[A-Za-z0-9._:-]+$/.test(char)),
);
/** orderIds that break the rule: empty, over 64 characters, spaces, slashes, unicode, percent-encoding, control characters. */
export const badOrderIdArb = fc.oneof(
  fc.constant(''),
  fc
    .tuple(orderIdArb, fc.integer({ min: 65, max: 400 }))
    .map(([id, length]) => id.repeat(Math.ceil(length / id.length)).slice(0, length)),
  fc
    .tuple(orderIdPart(20), badOrderIdChar, orderIdPart(20))
    .map(([before, bad, after]) => `${before}${bad}${after}`),
  fc
    .tuple(
      orderIdPart(10),
      fc.constantFrom('%2F', '%2f', '%20', '%41', '%25', '%00', '%E2%82%AC', '%zz', '%'),
      orderIdPart(10),
    )
    .map(([before, encoded, after]) => `${before}${encoded}${after}`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((id) => !ORDER_ID.test(id)),
  fc.constantFrom(
    ...['a b', 'o/1', '../etc/passwd', 'o-1\n', ' o-1', 'o-1 ', 'ｏ-1', 'о-1', 'o-1\u200b'],
    ...['order%2F1', 'o-1?x=1', 'o-1#frag'],
  ),
);

const byte = (min: number, max: number) => fc.integer({ min, max });
const continuation = byte(0x80, 0xbf);
/** Byte sequences that are not UTF-8, one kind each (WHATWG / RFC 3629). */
export const invalidUtf8 = fc.oneof(
  continuation.map((b) => [b]), // a lone continuation byte
  fc.tuple(byte(0xc2, 0xdf)).map(([b]) => [b]), // a 2-byte lead without its continuation
  fc.tuple(byte(0xe1, 0xec), continuation).map((bytes) => bytes), // a 3-byte sequence cut short
  fc.tuple(byte(0xf1, 0xf3), continuation, continuation).map((bytes) => bytes), // a 4-byte sequence cut short
  fc.tuple(byte(0xc0, 0xc1), continuation).map((bytes) => bytes), // overlong 2-byte
  fc.tuple(byte(0x80, 0x9f), continuation).map(([b, c]) => [0xe0, b, c]), // overlong 3-byte
  fc.tuple(byte(0x80, 0x8f), continuation, continuation).map(([b, c, d]) => [0xf0, b, c, d]), // overlong 4-byte
  fc.tuple(byte(0xa0, 0xbf), continuation).map(([b, c]) => [0xed, b, c]), // a UTF-16 surrogate, encoded
  fc.tuple(byte(0x90, 0xbf), continuation, continuation).map(([b, c, d]) => [0xf4, b, c, d]), // over U+10FFFF
  fc.tuple(byte(0xf5, 0xf7), continuation, continuation, continuation).map((bytes) => bytes), // lead bytes that never occur
  byte(0xf8, 0xff).map((b) => [b]),
  fc
    .uint8Array({ minLength: 1, maxLength: 12 })
    .filter((bytes) => {
      try {
        strictUtf8.decode(bytes);
        return false;
      } catch {
        return true;
      }
    })
    .map((bytes) => [...bytes]),
);

/** Media types that are not JSON (each a valid header value). */
export const NON_JSON_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'text/json',
  'text/html',
  'application/xml',
  'application/jsonp',
  'application/json5',
  'application/json-seq',
  'application/x-ndjson',
  'application/+json',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data',
  'multipart/form-data; boundary=----x',
  'multipart/mixed; boundary=b; type=application/json',
  '*/*',
  'application/*',
  'application',
  'json',
  'application/ json',
  'text/plain; application/json',
  'application/json, text/plain',
  'application/xml; x=application/json',
];

type Shape = 'array' | 'object' | 'mixed';
/** Brackets nested `depth` levels deep, closed or left open. */
export const nested = (shape: Shape, depth: number, closed: boolean): string => {
  const [open, inner, close] =
    shape === 'array'
      ? ['[', '', ']']
      : shape === 'object'
        ? ['{"a":', '1', '}']
        : ['[{"a":', 'null', '}]'];
  const levels = shape === 'mixed' ? Math.ceil(depth / 2) : depth;
  return open.repeat(levels) + (closed ? inner + close.repeat(levels) : '');
};
export const nestingShapeArb = fc.constantFrom<Shape>('array', 'object', 'mixed');

// ---------------------------------------------------------------------------------------------------------------
// Generators: bad input that would amplify (each under 256 KiB: many invalid values in one body)
// ---------------------------------------------------------------------------------------------------------------

/** Items that break every rule they can, each small: thousands fit in a body. */
const invalidItemText = fc.constantFrom(
  '{}',
  '1',
  'null',
  '[]',
  '{"sku":1,"quantity":"x","unitPrice":"y"}',
  '{"sku":"","quantity":0,"unitPrice":-1,"x":1}',
);

/**
 * A body for the route with thousands of invalid values: an order with hundreds of invalid items (each a few
 * errors) or thousands (over the 500 allowed, over and under the element bound), or any body with thousands of
 * unknown keys (one issue whose message would list them all).
 */
export const amplifyingBodyArb = (route: RouteName, validBody: Record<string, unknown>) =>
  fc.oneof(
    fc
      .record({
        item: invalidItemText,
        count: fc.oneof(
          fc.integer({ min: 100, max: 500 }),
          fc.integer({ min: 501, max: MAX_ARRAY_ELEMENTS }),
          fc.integer({ min: MAX_ARRAY_ELEMENTS + 1, max: 80_000 }),
        ),
      })
      .map(({ item, count }) => {
        const fits = Math.min(count, Math.floor((MAX_BODY_BYTES - 1_024) / (item.length + 1)));
        const items = raw(`[${Array(fits).fill(item).join(',')}]`);
        return route === 'created'
          ? toJson(withKey(validBody, 'items', items))
          : toJson(withKey(validBody, 'extra', items));
      }),
    fc.integer({ min: 1_000, max: 11_000 }).map((count) => {
      const keys = Array.from({ length: count }, (_, i) => `"unknown-${i}":${i}`).join(',');
      const valid = toJson(validBody);
      return `{${keys},${valid.slice(1)}`;
    }),
  );

/**
 * A batch body with `count` copies of `item` among the items of as many order-created events as it takes (500
 * items each): the shape that once made zod overflow its stack, thousands of invalid values under 256 KiB.
 */
export const batchOfItems = (item: string, count: number): string => {
  const events: string[] = [];
  for (let left = count; left > 0; left -= 500)
    events.push(
      `{"eventType":"order-created","orderId":"o-${left}","customerId":"c","total":1,"items":[${Array(Math.min(left, 500)).fill(item).join(',')}]}`,
    );
  return `{"events":[${events.join(',')}]}`;
};
