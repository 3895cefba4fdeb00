import { spawnSimServer, pinToCore } from '/work/main/bench/helpers.ts';
import { Pool } from 'undici';
import { loadTemplate, renderTemplate } from '/work/main/src/prompts/templates.ts';
pinToCore(0);
const server = await spawnSimServer([], 1);
const base = new URL(server.url);
const pool = new Pool(base.origin, { connections: 64 });
const template = loadTemplate('solve');
const bodies = Array.from({ length: 500 }, (_, i) => JSON.stringify({ model: 'sim-1', messages: renderTemplate(template, { problem: `Let $a$ be the greatest common divisor of $${84 + i}$ and $126$. Let $b$ be the number of positive divisors of $${360 + i}$. Find $2a - b + 3$.` }), n: 8, temperature: 0.7, seed: i }));
for (const secs of [2, 6]) {
  let done = 0; const c0 = process.cpuUsage(); const t0 = performance.now(); const end = t0 + secs * 1000;
  await Promise.all(Array.from({ length: 64 }, async () => { while (performance.now() < end) { const r = await pool.request({ method: 'POST', path: `${base.pathname}/chat/completions`, headers: { 'content-type': 'application/json' }, body: bodies[done % 500] }); await r.body.json(); done++; } }));
  const c = process.cpuUsage(c0); const wall = (performance.now() - t0) / 1000;
  console.log(`${(done / wall).toFixed(0)} req/s, client cpu ${(((c.user + c.system) / 1e6) / wall * 100).toFixed(0)}% of a core, ${(((c.user + c.system) / done)).toFixed(0)} us/request`);
}
await pool.close(); server.stop();
