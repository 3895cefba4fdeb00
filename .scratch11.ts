import { readFileSync } from 'node:fs';
import { AnswerChecker } from './src/answer/index.ts';
const rows = readFileSync('data/answer-tests/gsm8k_test_gpt3_solutions.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const q = readFileSync('data/answer-tests/math_qwen25math_cot_samples.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
new AnswerChecker().check('x^2', 'x x');
for (let rep = 0; rep < 1; rep++) {
  const c = new AnswerChecker();
  const t = performance.now();
  for (const r of [...rows, ...q]) c.checkOutput(r.gold_answer, r.output);
  console.log('rep', rep, ((rows.length + q.length) / (performance.now() - t) * 1000).toFixed(0), '/s');
}
