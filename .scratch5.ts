import { readFileSync } from 'node:fs';
import { AnswerChecker } from './src/answer/index.ts';
const rows = readFileSync('/work/shared/data/math/math_test.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const answers = [...new Set(rows.map((r) => r.answer as string))];
const c = new AnswerChecker({ cacheSize: 0 });
let t = performance.now(); let fails = 0; const rules = new Map<string, number>();
for (const a of answers) {
  for (const p of [`\\boxed{${a}}`, `$${a}$`, `The answer is $${a}$.`]) {
    const v = c.check(a, p);
    if (!v.equivalent) { fails++; if (fails < 15) console.log('SELF-FAIL', JSON.stringify(a), JSON.stringify(p), v); }
  }
}
console.log('self', answers.length, 'fails', fails, ((performance.now() - t) / 1000).toFixed(1) + 's');
// false positives: random pairs
let seed = 7; const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
t = performance.now(); let pos = 0; let n = 0; let slow: [number, string, string][] = [];
for (let k = 0; k < 20000; k++) {
  const a = answers[Math.floor(rnd() * answers.length)]!, b = answers[Math.floor(rnd() * answers.length)]!;
  if (a === b) continue;
  const t1 = performance.now();
  const v = c.check(a, b); n++;
  const dt = performance.now() - t1; if (dt > 20) slow.push([dt, a, b]);
  rules.set(v.rule, (rules.get(v.rule) ?? 0) + 1);
  if ((v.rule === "symbolic" || v.rule === "unparsed" || v.rule==="structure") && rnd() < 0.02) console.log(v.rule, JSON.stringify(a), JSON.stringify(b));
  if (v.equivalent) { pos++; console.log('EQ', JSON.stringify(a), JSON.stringify(b), v.rule); }
}
console.log('pairs', n, 'equivalent', pos, ((performance.now() - t) / 1000).toFixed(1) + 's', Object.fromEntries(rules));
slow.sort((x, y) => y[0] - x[0]); console.log(slow.slice(0, 10));
