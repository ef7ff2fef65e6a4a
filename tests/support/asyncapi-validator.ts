// Validates records read back from the topic against the AsyncAPI document's message schemas with Ajv, a
// JSON Schema implementation this project did not write: each record's value against the payload schema of
// the message its ce_type names, its headers against that message's headers schema, its key against the
// Kafka binding's key schema.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type AsyncApiDocument, buildAsyncApiDocument } from '../../lib/asyncapi.js';

// ajv-formats is CommonJS with `exports.default`: which of the two an ESM default import gives depends on the
// loader (Node, tsx, ts-jest), so both are accepted.
type FormatsPlugin = (ajv: Ajv) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

export interface RecordToCheck {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

interface MessageValidators {
  payload: ValidateFunction;
  headers: ValidateFunction;
  key: ValidateFunction;
}

/** Draft-07, AsyncAPI's schema dialect; strict, so an unknown keyword in the document is an error. */
export const asyncApiRecordValidator = (document: AsyncApiDocument = buildAsyncApiDocument()) => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  const byType = new Map<string, MessageValidators>();
  for (const message of Object.values(document.components.messages)) {
    byType.set(message.name, {
      payload: ajv.compile(message.payload),
      headers: ajv.compile(message.headers),
      key: ajv.compile(message.bindings.kafka.key),
    });
  }

  /** Every way the record breaks the contract; none when it keeps it. */
  const violations = (record: RecordToCheck): string[] => {
    const message = byType.get(record.headers.ce_type ?? '');
    if (!message) return [`no message for ce_type ${JSON.stringify(record.headers.ce_type)}`];
    let value: unknown;
    try {
      value = JSON.parse(record.value);
    } catch {
      return ['the value is not JSON'];
    }
    const problems: string[] = [];
    for (const [part, validate, data] of [
      ['value', message.payload, value],
      ['headers', message.headers, record.headers],
      ['key', message.key, record.key],
    ] as const) {
      if (!validate(data))
        problems.push(
          ...(validate.errors ?? []).map(
            (error) => `${part}${error.instancePath} ${error.message}`,
          ),
        );
    }
    return problems;
  };
  return { violations };
};

const validator = asyncApiRecordValidator();

/** Throws, naming the record and what is wrong with it, when a record breaks the AsyncAPI document. */
export const expectRecordKeepsContract = (record: RecordToCheck & { offset?: string }): void => {
  const problems = validator.violations(record);
  if (problems.length > 0)
    throw new Error(
      `record ${record.headers.ce_id ?? '(no ce_id)'} breaks the AsyncAPI document: ${problems.join('; ')}`,
    );
};
