import { readFileSync } from 'node:fs';
import { AnswerChecker, extractAnswer } from '/work/main/src/answer/index.ts';
const dir = '/work/main/data/answer-tests/';
const rows = readFileSync(dir + 'equivalence_cases.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const checkers = new Map<string, AnswerChecker>();
function checkerFor(cfg: any) {
  let abs: number | undefined;
  if (cfg?.precision !== undefined) {
    const p = Number(cfg.precision);
    abs = p >= 1 ? 0.5 * 10 ** -p : p;
  }
  const k = String(abs);
  if (!checkers.has(k)) checkers.set(k, new AnswerChecker({ absTol: abs }));
  return checkers.get(k)!;
}
let agree = 0;
const t0 = performance.now();
rows.forEach((r, i) => {
  const v = checkerFor(r.config).check(r.gold, r.predicted);
  if (v.equivalent === r.equivalent) agree++;
  else console.log(`#${i} expected ${r.equivalent} got ${v.equivalent} (${v.rule}) | ${JSON.stringify(r.gold).slice(0, 120)} | ${JSON.stringify(r.predicted).slice(-160)}`);
});
console.log(`equivalence: ${agree}/${rows.length} = ${(100 * agree / rows.length).toFixed(2)}% in ${(performance.now() - t0).toFixed(0)}ms`);
for (const f of ['gsm8k_test_gpt3_solutions.jsonl', 'math_qwen25math_cot_samples.jsonl']) {
  const rs = readFileSync(dir + f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const c = new AnswerChecker();
  let ok = 0; const t = performance.now();
  for (const r of rs) {
    const v = c.checkOutput(r.gold_answer, r.output);
    if (v.equivalent === r.is_correct) ok++;
    else console.log(`${r.id} expected ${r.is_correct} got ${v.equivalent} (${v.rule}) gold=${r.gold_answer} extracted=${JSON.stringify(v.extracted)} pred=${r.pred ?? ''}`);
  }
  console.log(`${f}: ${ok}/${rs.length} = ${(100 * ok / rs.length).toFixed(2)}% in ${(performance.now() - t).toFixed(0)}ms`);
}
