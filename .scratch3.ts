import { readFileSync } from 'node:fs';
import { AnswerChecker, extractAnswer } from './src/answer/index.ts';
const rows = readFileSync('data/answer-tests/equivalence_cases.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const c = new AnswerChecker();
rows.forEach((r, i) => {
  const v = c.check(r.gold, r.predicted);
  const eg = extractAnswer(r.gold), ep = extractAnswer(r.predicted);
  const sg = eg.found ? eg.answer : '(raw)' + r.gold; const sp = ep.found ? ep.answer : '(raw)' + r.predicted;
  console.log(`#${i} ${r.equivalent ? 'T' : 'F'}${v.equivalent === r.equivalent ? ' ' : '!'} ${v.rule.padEnd(18)} ${JSON.stringify(sg.slice(0, 70))} ~ ${JSON.stringify(sp.slice(0, 70))}`);
});
