import { createRequire } from "node:module"; const require = createRequire(import.meta.url);
import { AnswerChecker, extractAnswer, groupAnswers } from './src/answer/index.ts';
import { HOSTILE, mulberry32, randomLatex } from './test/answer/fuzz-gen.ts';
const c = new AnswerChecker({ timeoutMs: 500, cacheSize: 0 });
const rnd = mulberry32(12345);
let worst = 0; let worstPair: [string, string] = ['', '']; const rules = new Map<string, number>();
const t0 = performance.now();
const pairs: [string, string][] = [];
for (let k = 0; k < 4000; k++) pairs.push([randomLatex(rnd), randomLatex(rnd)]);
for (const h of HOSTILE) { pairs.push([h, h + ' ']); pairs.push(['2', h]); pairs.push([h, 'x']); }
let idx = 0;
for (const [a, b] of pairs) {
  idx++; if (idx % 200 === 0) console.error('at', idx);
  process.stderr.write(''); (globalThis as any).cur = [a, b];
  const t = performance.now();
  let v;
  require('node:fs').writeFileSync('/tmp/fuzz-cur.json', JSON.stringify([a, b]));
  try { v = c.check(a, b); extractAnswer(a); c.checkOutput(a, b); } catch (e) { console.log('THROW', JSON.stringify(a), JSON.stringify(b), e); continue; }
  const dt = performance.now() - t;
  if (dt > worst) { worst = dt; worstPair = [a, b]; }
  rules.set(v.rule, (rules.get(v.rule) ?? 0) + 1);
  if (v.rule.startsWith('error')) console.log('ERR', v.rule, JSON.stringify(a).slice(0, 100), JSON.stringify(b).slice(0, 100));
}
console.log('total', ((performance.now() - t0) / 1000).toFixed(1), 's worst', worst.toFixed(0), 'ms', JSON.stringify(worstPair).slice(0, 300));
console.log(Object.fromEntries(rules));
console.log(groupAnswers(['1/2', '0.5', '\\frac12', '2', 'x', '', '']));
