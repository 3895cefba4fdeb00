import { readFileSync } from 'node:fs';
import { extractAnswer } from './src/answer/index.ts';
let k = 0;
for (const f of ['math_train.jsonl', 'math_test.jsonl']) {
  for (const l of readFileSync('/work/shared/data/math/' + f, 'utf8').trim().split('\n')) {
    const r = JSON.parse(l);
    const e = extractAnswer(r.solution);
    if (e.found && e.answer !== r.answer && e.source === 'boxed' && k++ < 12) {
      const s: string = r.solution; const i = s.indexOf('\\boxed');
      console.log('---', JSON.stringify(r.answer), '|', JSON.stringify(e.answer)); console.log(s.slice(Math.max(0, i - 80), i + 220).replace(/\n/g, ' '));
    }
  }
}
