import { AnswerChecker } from './src/answer/index.ts';
const c = new AnswerChecker();
for (const [g, p] of [['664_7', '340'], ['204_5', '54'], ['204_5', '204_{5}'], ['1011_2', '1011'], ['\\text{Monday}', 'monday'], ['\\text{Tuesday}', 'Monday'], ['x \\in (0, 1)', '(0,1)'], ['\\angle ABC = 90^\\circ', '90'], ['\\cos 13^\\circ', '\\cos 13'], ['\\cos 60^\\circ', '\\frac12'], ['\\emptyset', '\\{\\}'], ['\\infty', '\\infty'], ['-\\infty', '\\infty']] as const) console.log(g, '|', p, c.check(g, p));
