// Writes a generated document as the repository keeps it: JSON, formatted by Biome as `npm run lint` expects.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const writeDocument = (file: string, document: unknown): void => {
  const target = path.join(repositoryRoot, file);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  execFileSync(
    path.join(repositoryRoot, 'node_modules/.bin/biome'),
    ['format', '--write', target],
    {
      stdio: 'ignore',
    },
  );
};
