// `npm run openapi`: writes the OpenAPI 3.1 document that GET /openapi.json serves to openapi.json at the
// repository root, where it is committed (tests/lib/committed-documents.test.ts fails when it is stale): every
// change to the API shows up as a reviewable diff, and tools that want a file (client generators, API
// gateways) have one.
import { buildOpenApiDocument } from '../lib/openapi.js';
import { writeDocument } from './contract/write-document.js';

const document = buildOpenApiDocument();
writeDocument('openapi.json', document);
process.stderr.write(`wrote openapi.json: ${Object.keys(document.paths).length} paths\n`);
