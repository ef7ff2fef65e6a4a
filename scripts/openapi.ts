// `npm run openapi`: writes the OpenAPI 3.1 document that GET /openapi.json serves to openapi.json at the
// repository root, for tools that want a file (client generators, API gateways, reviews of API changes).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../lib/openapi.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'openapi.json');
const document = buildOpenApiDocument();
writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
process.stderr.write(
  `wrote ${path.relative(process.cwd(), target) || target}: ${Object.keys(document.paths).length} paths\n`,
);
