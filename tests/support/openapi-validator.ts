// Validates JSON values against the schemas of the OpenAPI document with Ajv, a JSON Schema 2020-12
// implementation this project did not write, so the document is checked by someone else's reading of it.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDocument } from '../../lib/openapi.js';

// ajv-formats is CommonJS with `exports.default`: which of the two an ESM default import gives depends on the
// loader (Node, tsx, ts-jest), so both are accepted.
type FormatsPlugin = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

const DOCUMENT_ID = 'urn:order-events-publisher:openapi';

/** "/orders/{orderId}/shipment" -> "~1orders~1{orderId}~1shipment" (RFC 6901). */
const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export interface ValidationResult {
  valid: boolean;
  errors: string[];
}

export const openApiValidator = (document: OpenApiDocument) => {
  // strict: an unknown keyword or a malformed schema in the document is an error, not silently ignored.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // The document itself is registered, so that its "#/components/schemas/..." references resolve as they
  // would for any OpenAPI tool; its top-level OpenAPI fields are not JSON Schema keywords.
  for (const keyword of ['openapi', 'jsonSchemaDialect', 'info', 'tags', 'paths', 'components'])
    ajv.addKeyword(keyword);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });

  const check = (schemaPointer: string, value: unknown): ValidationResult => {
    const validate =
      ajv.getSchema(`${DOCUMENT_ID}#/${schemaPointer}`) ??
      ajv.compile({ $ref: `${DOCUMENT_ID}#/${schemaPointer}` });
    const valid = validate(value) as boolean;
    return {
      valid,
      errors: (validate.errors ?? []).map(
        (error) =>
          `${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
      ),
    };
  };

  return {
    /** The response schema documented for this route, method, status and media type. */
    response: (path: string, method: string, status: number, mediaType: string, body: unknown) =>
      check(
        pointer('paths', path, method, 'responses', String(status), 'content', mediaType, 'schema'),
        body,
      ),
    request: (path: string, method: string, body: unknown) =>
      check(
        pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema'),
        body,
      ),
    component: (id: string, value: unknown) => check(pointer('components', 'schemas', id), value),
  };
};
