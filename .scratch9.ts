import { readFileSync } from 'node:fs';
import { AnswerChecker, extractAnswer } from './src/answer/index.ts';
const c = new AnswerChecker();
let n = 0, diff = 0, neq = 0;
for (const f of ['math_train.jsonl', 'math_test.jsonl']) {
  for (const l of readFileSync('/work/shared/data/math/' + f, 'utf8').trim().split('\n')) {
    const r = JSON.parse(l); n++;
    const e = extractAnswer(r.solution);
    const a = e.found ? e.answer : '';
    if (a !== r.answer) {
      diff++;
      const v = c.check(r.answer, a);
      if (!v.equivalent) { neq++; if (neq < 25) console.log(JSON.stringify(r.answer), '|', JSON.stringify(a), e.found ? e.source : '-', v.rule); }
    }
  }
}
console.log('n', n, 'differ', diff, 'not equivalent', neq);
