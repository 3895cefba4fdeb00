/**
 * `npm run bench [name...]`: runs every benchmark (or the named ones) in this folder, one after
 * another in one process run, so the ratios they print are measured under the same conditions.
 */
import { readdirSync } from 'node:fs';

// tsx turns on source-mapped stack traces, which makes every thrown error (the answer checker
// and undici throw and catch routinely) far slower than in production: measure without them.
process.setSourceMapsEnabled(false);

import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
for (const file of files) {
  console.log(`\n=== ${file.replace('.bench.ts', '')} ===`);
  const mod = (await import(new URL(file, import.meta.url).href)) as { run: () => Promise<void> };
  await mod.run();
}
