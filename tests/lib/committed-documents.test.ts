// openapi.json and asyncapi.json are committed, so every change to the API or to the records is a diff a
// reviewer sees. A change to the schemas without regenerating them fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildAsyncApiDocument } from '../../lib/asyncapi.js';
import { buildOpenApiDocument } from '../../lib/openapi.js';
import { repoRoot } from '../e2e/support/service.js';

const committed = (file: string): unknown =>
  JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8'));
const generated = (document: unknown): unknown => JSON.parse(JSON.stringify(document));

describe('the committed contract documents', () => {
  it.each([
    ['openapi.json', 'npm run openapi', buildOpenApiDocument],
    ['asyncapi.json', 'npm run asyncapi', buildAsyncApiDocument],
  ])('%s is the generated document (if not: %s, and commit it)', (file, _command, build) => {
    expect(committed(file)).toEqual(generated(build()));
  });
});
