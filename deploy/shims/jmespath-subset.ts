/**
 * What the bundles carry in place of @aws-lambda-powertools/jmespath (about 24 KB of each publishing function):
 * the JMESPath that Powertools idempotency evaluates for lib/idempotency.ts, and nothing more. Powertools
 * calls `search` with the two expressions lib/idempotency.ts configures (eventKeyJmesPath and
 * payloadValidationJmesPath) on the request it hashes: a multi-select list of identifiers (`[caller, key]`)
 * and an identifier (`request`). Those two forms are evaluated here as the library's TreeInterpreter does
 * (its `field` and `multi_select_list` nodes), so the hashes, and the records already stored under them,
 * stay the same. Any other expression throws, naming itself, at the first keyed request: a configuration
 * that outgrows this subset fails loudly (and fails tests/bundle/powertools-idempotency.test.ts, which compares
 * the two on lib/idempotency.ts's expressions), never hashes something else.
 *
 * Bundled in place of the library by deploy/esbuild-powertools-idempotency.cjs.
 */

/** The library's unquoted identifier: a letter or underscore, then letters, digits and underscores. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The library's isRecord (@aws-lambda-powertools/commons/typeutils). */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  Object.prototype.toString.call(value) === '[object Object]' && !Object.is(value, null);

/** A field: the member when the value is an object that has it (own or inherited, as `in` sees it), else null. */
const field = (name: string, value: unknown): unknown =>
  isRecord(value) && name in value ? value[name] : null;

type Evaluate = (value: unknown) => unknown;

const compile = (expression: string): Evaluate => {
  const trimmed = expression.trim();
  if (IDENTIFIER.test(trimmed)) return (value) => field(trimmed, value);
  const list = /^\[(.*)\]$/s
    .exec(trimmed)?.[1]
    ?.split(',')
    .map((part) => part.trim());
  if (list?.every((name) => IDENTIFIER.test(name)))
    // A multi-select list is null on null, and a list of its members on anything else.
    return (value) => (Object.is(value, null) ? null : list.map((name) => field(name, value)));
  throw new Error(
    `The JMESPath expression ${JSON.stringify(expression)} is not supported: the bundle carries only identifiers and multi-select lists of identifiers (deploy/shims/jmespath-subset.ts)`,
  );
};

const compiled = new Map<string, Evaluate>();

/** @aws-lambda-powertools/jmespath's search, for identifiers and multi-select lists of identifiers. */
export const search = (expression: string, data: unknown, _options?: unknown): unknown => {
  let evaluate = compiled.get(expression);
  if (!evaluate) {
    evaluate = compile(expression);
    compiled.set(expression, evaluate);
  }
  return evaluate(data);
};

/**
 * @aws-lambda-powertools/jmespath/functions's PowertoolsFunctions: IdempotencyConfig makes one as its default
 * custom functions, and the persistence layer compares their constructors. Neither expression calls a function.
 */
export class PowertoolsFunctions {}
