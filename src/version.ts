import { readFileSync } from 'node:fs';

/** The package version, read once from package.json so it can never drift from what npm publishes. */
export const SPARQ_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
