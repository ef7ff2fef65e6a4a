// The BACKWARD rule of a schema registry, without a registry: a record schema may change under the same
// version only if every value valid under the committed schema stays valid under the new one. So a field
// removed (the schemas are closed), a field made required, a type or bound narrowed, an enum or const value
// dropped are breaking; an optional field added is not. A breaking change needs a new version of the event
// type (its ce_dataschema, the payload's $id), which consumers see on every record.
//
// json-schema-diff computes the values the new schema no longer accepts, by set operations on the keywords
// it supports. It ignores enum, const, pattern and format, so those are compared here, location by location.
import jsonSchemaDiff from 'json-schema-diff';

type JsonSchema = Record<string, unknown>;
type JsonSchemaDiffInput = Parameters<typeof jsonSchemaDiff.diffSchemas>[0]['sourceSchema'];

export interface ContractDocument {
  components: {
    messages: Record<string, { name: string; payload: JsonSchema }>;
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

/** What json-schema-diff cannot see: enum and const values dropped, patterns and formats changed. */
const keywordNarrowings = (before: JsonSchema, after: JsonSchema, at = ''): string[] => {
  const found: string[] = [];
  const was = allowedValues(before);
  const is = allowedValues(after);
  if (was && is) {
    const kept = new Set(is.map((value) => JSON.stringify(value)));
    const dropped = was.filter((value) => !kept.has(JSON.stringify(value)));
    if (dropped.length > 0)
      found.push(`${at || '/'}: value ${dropped.map((v) => JSON.stringify(v)).join(', ')} dropped`);
  } else if (!was && is) found.push(`${at || '/'}: now limited to ${JSON.stringify(is)}`);
  for (const keyword of ['pattern', 'format'])
    if (after[keyword] !== undefined && after[keyword] !== before[keyword])
      found.push(
        `${at || '/'}: ${keyword} ${JSON.stringify(before[keyword] ?? null)} became ${JSON.stringify(after[keyword])}, which may reject values it accepted`,
      );
  const afterChildren = new Map(children(after));
  for (const [path, child] of children(before)) {
    const counterpart = afterChildren.get(path);
    if (counterpart) found.push(...keywordNarrowings(child, counterpart, `${at}${path}`));
  }
  return found;
};

/** $id names the version; it is not part of what a schema accepts. */
const withoutId = ({ $id: _, ...schema }: JsonSchema): JsonSchemaDiffInput =>
  schema as JsonSchemaDiffInput;

/** The changes from the committed document to the generated one that an existing consumer could not read. */
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
    if (after.payload.$id !== before.payload.$id) continue;
    const diff = await jsonSchemaDiff.diffSchemas({
      sourceSchema: withoutId(before.payload),
      destinationSchema: withoutId(after.payload),
    });
    if (diff.removalsFound)
      change(`values no longer accepted: ${JSON.stringify(diff.removedJsonSchema)}`);
    for (const narrowing of keywordNarrowings(before.payload, after.payload)) change(narrowing);
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
