// The suite runs on the Node.js major that Lambda runs the functions on (serverless.yml's provider.runtime),
// which .nvmrc and package.json's engines name too: a test that passes on another major proves little.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

it('runs on the Node.js major that serverless.yml deploys, .nvmrc and engines name', () => {
  const deployed = /^\s*runtime:\s*nodejs(\d+)\.x\s*$/m.exec(read('serverless.yml'))?.[1];
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  expect({
    nvmrc: read('.nvmrc').trim(),
    engines,
    running: process.versions.node.split('.')[0],
  }).toEqual({
    nvmrc: deployed,
    engines: `>=${deployed} <${Number(deployed) + 1}`,
    running: deployed,
  });
});
