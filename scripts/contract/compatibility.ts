// A schema registry's FULL rule, without a registry: a record's schemas (its value, its headers, its key) may change
// under the same version only if they accept exactly the values they accepted. Both directions matter: a consumer
// built on the new schema reads the records already on the topic (BACKWARD), and a consumer still built on the
// committed one reads the records the new code writes (FORWARD), and the schemas are closed (the AsyncAPI document
// says additionalProperties: false, and an order's items are parsed strictly). So a field removed or added
// (optional or not), made required or optional, a type or bound narrowed or widened, an enum or const value dropped
// or added, a pattern, format or multipleOf changed: each needs a new version of the event type (its
// ce_dataschema, the payload's $id), which consumers see on every record.
//
// json-schema-diff computes the values one schema accepts and the other does not, by set operations on the
// keywords it supports. It ignores enum, const, pattern, format and multipleOf, so those are compared here,
// location by location.
import jsonSchemaDiff from 'json-schema-diff';

type JsonSchema = Record<string, unknown>;
type JsonSchemaDiffInput = Parameters<typeof jsonSchemaDiff.diffSchemas>[0]['sourceSchema'];

export interface ContractDocument {
  components: {
    messages: Record<
      string,
      {
        name: string;
        payload: JsonSchema;
        headers?: JsonSchema;
        bindings?: { kafka?: { key?: JsonSchema } };
      }
    >;
  };
}

export interface BreakingChange {
  eventType: string;
  /** The payload's $id (= ce_dataschema), whose version did not change. */
  dataschema: string;
  detail: string;
}

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Subschema locations both schemas may have: properties, items, combinators. */
const children = (schema: JsonSchema): [string, JsonSchema][] => {
  const found: [string, JsonSchema][] = [];
  if (isSchema(schema.properties))
    for (const [name, child] of Object.entries(schema.properties))
      if (isSchema(child)) found.push([`/properties/${name}`, child]);
  if (isSchema(schema.items)) found.push(['/items', schema.items]);
  if (isSchema(schema.additionalProperties))
    found.push(['/additionalProperties', schema.additionalProperties]);
  for (const keyword of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(schema[keyword]))
      (schema[keyword] as unknown[]).forEach((child, index) => {
        if (isSchema(child)) found.push([`/${keyword}/${index}`, child]);
      });
  return found;
};

const allowedValues = (schema: JsonSchema): unknown[] | undefined =>
  'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;

/** A string's patterns: zod writes one as `pattern`, and several as an allOf of patterns. */
const patternsOf = (schema: JsonSchema): string[] =>
  [
    schema.pattern,
    ...(Array.isArray(schema.allOf) ? schema.allOf : []).map((part) =>
      isSchema(part) ? part.pattern : undefined,
    ),
  ]
    .filter((pattern): pattern is string => typeof pattern === 'string')
    .sort();

/** What json-schema-diff cannot see: enum and const values, patterns, formats and multipleOf, changed. */
const keywordChanges = (before: JsonSchema, after: JsonSchema, at = ''): string[] => {
  const found: string[] = [];
  const where = at || '/';
  const was = allowedValues(before);
  const is = allowedValues(after);
  const missing = (from: unknown[], to: unknown[]) => {
    const kept = new Set(to.map((value) => JSON.stringify(value)));
    return from.filter((value) => !kept.has(JSON.stringify(value))).map((v) => JSON.stringify(v));
  };
  if (was && is) {
    const dropped = missing(was, is);
    const added = missing(is, was);
    if (dropped.length > 0) found.push(`${where}: value ${dropped.join(', ')} dropped`);
    if (added.length > 0)
      found.push(
        `${where}: value ${added.join(', ')} added, which a consumer of the committed schema rejects`,
      );
  } else if (!was && is) found.push(`${where}: now limited to ${JSON.stringify(is)}`);
  else if (was && !is) found.push(`${where}: no longer limited to ${JSON.stringify(was)}`);
  const [patternsBefore, patternsAfter] = [patternsOf(before), patternsOf(after)];
  if (JSON.stringify(patternsBefore) !== JSON.stringify(patternsAfter))
    found.push(
      `${where}: patterns ${JSON.stringify(patternsBefore)} became ${JSON.stringify(patternsAfter)}, which may change what it accepts`,
    );
  for (const keyword of ['format', 'multipleOf'])
    if (after[keyword] !== before[keyword])
      found.push(
        `${where}: ${keyword} ${JSON.stringify(before[keyword] ?? null)} became ${JSON.stringify(after[keyword] ?? null)}, which may change what it accepts`,
      );
  const afterChildren = new Map(children(after));
  for (const [path, child] of children(before)) {
    const counterpart = afterChildren.get(path);
    if (counterpart) found.push(...keywordChanges(child, counterpart, `${at}${path}`));
  }
  return found;
};

/** $id names the version; it is not part of what a schema accepts. */
const withoutId = ({ $id: _, ...schema }: JsonSchema): JsonSchemaDiffInput =>
  schema as JsonSchemaDiffInput;

/** The schemas a consumer reads of a record of one event type, by what they describe. */
const partsOf = (
  message: ContractDocument['components']['messages'][string],
): [string, JsonSchema][] => {
  const parts: [string, unknown][] = [
    ['value', message.payload],
    ['headers', message.headers],
    ['key', message.bindings?.kafka?.key],
  ];
  return parts.filter((part): part is [string, JsonSchema] => isSchema(part[1]));
};

/** How two versions of one schema differ in what they accept, either way. */
const differences = async (before: JsonSchema, after: JsonSchema): Promise<string[]> => {
  const [lost, gained] = await Promise.all([
    jsonSchemaDiff.diffSchemas({
      sourceSchema: withoutId(before),
      destinationSchema: withoutId(after),
    }),
    jsonSchemaDiff.diffSchemas({
      sourceSchema: withoutId(after),
      destinationSchema: withoutId(before),
    }),
  ]);
  return [
    ...(lost.removalsFound
      ? [`values no longer accepted: ${JSON.stringify(lost.removedJsonSchema)}`]
      : []),
    ...(gained.removalsFound
      ? [
          `values a consumer of the committed schema rejects: ${JSON.stringify(gained.removedJsonSchema)}`,
        ]
      : []),
    ...keywordChanges(before, after),
  ];
};

/** The changes from the committed document to the generated one that a consumer of either could not read. */
export const breakingChanges = async (
  committed: ContractDocument,
  generated: ContractDocument,
): Promise<BreakingChange[]> => {
  const now = new Map(
    Object.values(generated.components.messages).map((message) => [message.name, message]),
  );
  const changes: BreakingChange[] = [];
  for (const before of Object.values(committed.components.messages)) {
    const dataschema = String(before.payload.$id);
    const after = now.get(before.name);
    const change = (detail: string) => changes.push({ eventType: before.name, dataschema, detail });
    if (!after) {
      change('the event type is no longer published');
      continue;
    }
    // A new version: consumers tell it apart (ce_dataschema), so anything may change.
    if (after.payload.$id !== before.payload.$id) continue;
    const afterParts = new Map(partsOf(after));
    for (const [part, schema] of partsOf(before)) {
      const counterpart = afterParts.get(part);
      if (!counterpart) {
        change(`its ${part} schema is gone`);
        continue;
      }
      for (const detail of await differences(schema, counterpart)) change(`${part}: ${detail}`);
    }
  }
  return changes;
};

export const describeBreakingChanges = (changes: BreakingChange[]): string =>
  changes
    .map(
      (change) =>
        `${change.eventType} (${change.dataschema}): ${change.detail}\n  -> a consumer of this version could not read it: raise the event type's version in lib/catalog.ts, or make the change compatible`,
    )
    .join('\n');
