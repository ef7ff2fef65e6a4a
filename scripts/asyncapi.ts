// `npm run asyncapi`: writes the AsyncAPI 3.0 document that GET /asyncapi.json serves (for the default topic)
// to asyncapi.json at the repository root, where it is committed: every change to the records shows up as a
// reviewable diff. It refuses to write a record schema change that an existing consumer could not read unless
// the event type's version changed (scripts/contract/compatibility.ts; npm test checks the same).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildAsyncApiDocument } from '../lib/asyncapi.js';
import {
  breakingChanges,
  type ContractDocument,
  describeBreakingChanges,
} from './contract/compatibility.js';
import { repositoryRoot, writeDocument } from './contract/write-document.js';

const target = path.join(repositoryRoot, 'asyncapi.json');
const document = buildAsyncApiDocument();
if (existsSync(target)) {
  const committed = JSON.parse(readFileSync(target, 'utf8')) as ContractDocument;
  const breaking = await breakingChanges(committed, document);
  if (breaking.length > 0) {
    process.stderr.write(`asyncapi.json not written:\n${describeBreakingChanges(breaking)}\n`);
    process.exit(1);
  }
}
writeDocument('asyncapi.json', document);
process.stderr.write(
  `wrote asyncapi.json: ${Object.keys(document.components.messages).length} messages\n`,
);
