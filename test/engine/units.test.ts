import { describe, expect, it } from 'vitest';
import { AnswerChecker } from '../../src/answer/index.js';
import { SimBackend } from '../../src/backends/sim-backend.js';
import type { ModelBackend } from '../../src/backends/types.js';
import { bandDecided, bandOf, wilsonInterval } from '../../src/core/solve-rate.js';
import { loadTaxonomy } from '../../src/domain/taxonomy.js';
import { createGateway, MemoryCache } from '../../src/engine/gateway/index.js';
import { labelResponseFormat, parseLabel } from '../../src/engine/labels.js';
import {
  countQuestions,
  parseMutationOutput,
  problemTextHash,
  screen,
} from '../../src/engine/mutation-output.js';
import { solve, summarize } from '../../src/engine/solver.js';
import { loadTemplate } from '../../src/prompts/templates.js';
import { loadSeeds } from '../../src/seeds/load.js';
import { modelSettings } from '../helpers/config.js';

const taxonomy = loadTaxonomy('bundled:v1');

describe('parsing generator output', () => {
  it('reads problem, solution and the last boxed answer (brace-matched)', () => {
    const r = parseMutationOutput(
      'Problem:\nFind $x$.\n\nSolution:\nFirst $\\boxed{1}$, then $x = \\boxed{\\frac{1}{2}}$.',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        problem: 'Find $x$.',
        solution: 'First $\\boxed{1}$, then $x = \\boxed{\\frac{1}{2}}$.',
        answer: '\\frac{1}{2}',
      },
    });
  });

  it('accepts markdown headings and text on the heading line', () => {
    const r = parseMutationOutput('**Problem:** What is $2+2$?\n\n### Solution\nIt is $\\boxed{4}$.');
    expect(r.ok && r.value.problem).toBe('What is $2+2$?');
    expect(r.ok && r.value.answer).toBe('4');
  });

  it('rejects output without the two sections as unparseable', () => {
    expect(parseMutationOutput('Here is a nice problem: what is 2+2? Answer: 4')).toMatchObject({
      ok: false,
      reason: 'unparseable',
    });
    expect(parseMutationOutput('Solution:\n\\boxed{1}\nProblem:\nx')).toMatchObject({
      ok: false,
      reason: 'unparseable',
    });
    expect(parseMutationOutput('Problem:\n\nSolution:\n\\boxed{1}')).toMatchObject({
      ok: false,
      reason: 'unparseable',
    });
  });

  it('rejects a solution without a boxed final answer', () => {
    expect(parseMutationOutput('Problem:\nFind $x$.\nSolution:\nThe answer is 4.')).toMatchObject({
      ok: false,
      reason: 'no_final_answer',
    });
    expect(parseMutationOutput('Problem:\nFind $x$.\nSolution:\nSo $\\boxed{}$.')).toMatchObject({
      ok: false,
      reason: 'no_final_answer',
    });
  });
});

describe('screening', () => {
  const opts = { maxProblemChars: 100, parentTexts: ['Find the value of $x$ if $2x = 4$.'] };
  const out = (problem: string) => ({ problem, solution: '\\boxed{1}', answer: '1' });

  it('passes a single well-posed question', () => {
    expect(
      screen(out('What is $\\frac{1}{2} + \\frac{1}{3}$? Express your answer as a common fraction.'), opts),
    ).toBeNull();
    expect(
      screen(out('Let $a$ be the value of $x$ that satisfies $x + 1 = 2$. Find $2a + 1$.'), opts),
    ).toBeNull();
  });

  it('rejects too long problems', () => {
    expect(screen(out('x'.repeat(101)), opts)).toMatchObject({ reason: 'too_long' });
  });

  it('rejects several questions', () => {
    expect(screen(out('Find $x$. Also, what is $y$?'), opts)).toMatchObject({ reason: 'several_questions' });
    expect(screen(out('(a) Find $x$ (b) Find $y$'), opts)).toMatchObject({ reason: 'several_questions' });
    expect(countQuestions('What is $x$? What is $y$?')).toBe(2);
    expect(countQuestions('What is $x?y$?')).toBe(1);
  });

  it('rejects a copy of the parent, ignoring case, spacing and final punctuation', () => {
    expect(screen(out('find the value of $x$ if  $2x = 4$'), opts)).toMatchObject({
      reason: 'identical_to_parent',
    });
  });

  it('hashes normalized text', () => {
    expect(problemTextHash('Find $x$.')).toBe(problemTextHash('  find   $X$ '));
  });

  it('lets nearly every MATH train problem through as one question', () => {
    // The seeds are not screened, but a screen that rejected real problems would reject good generations.
    const { seeds } = loadSeeds('bundled:math_train');
    const flagged = seeds.filter((s) => countQuestions(s.problem) > 1).length;
    expect(flagged / seeds.length).toBeLessThan(0.08);
  });
});

describe('labels', () => {
  it('reads JSON, fenced JSON, JSON in prose and key: value lines', () => {
    for (const text of [
      '{"subject": "Number Theory", "skill": "GCD and LCM"}',
      'Here you go:\n```json\n{"subject":"Number Theory","skill":"gcd and lcm"}\n```',
      'Subject: Number Theory\nSkill: GCD and LCM',
    ]) {
      expect(parseLabel(text, taxonomy, null, null)).toMatchObject({
        subject: 'Number Theory',
        skill: 'GCD and LCM',
        unknown: false,
      });
    }
  });

  it('maps a skill outside the list to "other" and says so', () => {
    expect(parseLabel('{"subject":"Algebra","skill":"vibes"}', taxonomy, null, null)).toMatchObject({
      subject: 'Algebra',
      skill: 'other',
      unknown: true,
    });
    expect(parseLabel('no idea', taxonomy, null, 'Geometry')).toMatchObject({
      subject: 'Geometry',
      skill: 'other',
      unknown: true,
    });
  });

  it('a reply that breaks the requested format is malformed; an unknown skill is not', () => {
    const format = labelResponseFormat(taxonomy);
    const good = '{"label":{"subject":"Algebra","skill":"linear equations"}}';
    expect(taxonomy.skills.get('Algebra')).toContain('linear equations');
    expect(parseLabel(good, taxonomy, null, null, format)).toMatchObject({
      malformed: false,
      unknown: false,
    });
    // Fenced, not the schema's shape, or a skill outside the subject's enum: the schema was broken.
    for (const text of [
      `\`\`\`json\n${good}\n\`\`\``,
      '{"subject":"Algebra","skill":"linear equations"}',
      '{"label":{"subject":"Algebra","skill":"vibes"}}',
      'I am not sure. "label":"subject":"Algebra"',
    ])
      expect(parseLabel(text, taxonomy, null, 'Geometry', format).malformed, text).toBe(true);
    // Without a schema, any subject or skill the reader can find is a well-formed (if unknown) label.
    expect(parseLabel('{"subject":"Algebra","skill":"vibes"}', taxonomy, null, null)).toMatchObject({
      malformed: false,
      unknown: true,
    });
    expect(parseLabel('no idea', taxonomy, null, 'Geometry').malformed).toBe(true);
  });

  it('a skill of another subject is not accepted for this one; the known subject wins', () => {
    expect(parseLabel('{"subject":"Algebra","skill":"GCD and LCM"}', taxonomy, null, null).skill).toBe(
      'other',
    );
    expect(
      parseLabel('{"subject":"Algebra","skill":"GCD and LCM"}', taxonomy, 'Number Theory', null),
    ).toMatchObject({ subject: 'Number Theory', skill: 'GCD and LCM' });
  });
});

describe('solve-rate statistics', () => {
  it('Wilson intervals contain the estimate and narrow with n', () => {
    const [lo, hi] = wilsonInterval(5, 10, 0.95);
    expect(lo).toBeCloseTo(0.2366, 3);
    expect(hi).toBeCloseTo(0.7634, 3);
    const [lo2, hi2] = wilsonInterval(50, 100, 0.95);
    expect(hi2 - lo2).toBeLessThan(hi - lo);
    expect(wilsonInterval(0, 0, 0.9)).toEqual([0, 1]);
  });

  it('bands and band decisions', () => {
    expect(bandOf(0, [0.25, 0.5, 0.75])).toBe(0);
    expect(bandOf(0.25, [0.25, 0.5, 0.75])).toBe(1);
    expect(bandOf(1, [0.25, 0.5, 0.75])).toBe(3);
    expect(bandDecided(4, 4, [0.25, 0.5, 0.75], 0.9)).toBe(false);
    expect(bandDecided(16, 16, [0.25, 0.5, 0.75], 0.9)).toBe(true);
    expect(bandDecided(8, 16, [0.25, 0.5, 0.75], 0.9)).toBe(false);
  });

  it('majority, disputed and verified', () => {
    const checker = new AnswerChecker();
    const attempts = (answers: (string | null)[], reference: string) =>
      answers.map((answer, idx) => ({
        idx,
        requestKey: 'k',
        choice: idx,
        answer,
        correct: answer !== null && checker.check(reference, answer).equivalent,
        rule: 'x',
        finishReason: 'stop',
        counted: true,
      }));
    const disputed = summarize(attempts(['3', '3', '3', '3.0', '5', null, '3', '4'], '5'), checker, 0.6);
    expect(disputed).toMatchObject({
      correct: 1,
      solveRate: 0.125,
      majorityShare: 0.625,
      disputed: true,
      verified: true,
    });
    expect(['3', '3.0']).toContain(disputed.majorityAnswer);
    const fine = summarize(attempts(['5', '5', '3', null], '5'), checker, 0.6);
    expect(fine).toMatchObject({ correct: 2, solveRate: 0.5, disputed: false, verified: true });
    const none = summarize(attempts([null, null], '5'), checker, 0.6);
    expect(none).toMatchObject({
      correct: 0,
      solveRate: 0,
      majorityAnswer: null,
      verified: false,
      disputed: false,
      unverifiedReason: 'no_correct_attempt',
    });
  });

  it('attempts cut at max_tokens are truncated, not wrong: out of the solve-rate and the vote', () => {
    const checker = new AnswerChecker();
    const attempt = (idx: number, answer: string | null, finishReason: string, counted: boolean) => ({
      idx,
      requestKey: 'k',
      choice: idx,
      answer,
      correct: answer === '5',
      rule: 'x',
      finishReason,
      counted,
    });
    // Two attempts right, two cut (one of them with a stray wrong answer): 2/2, not 2/4.
    const s = summarize(
      [
        attempt(0, '5', 'stop', true),
        attempt(1, '5', 'stop', true),
        attempt(2, '7', 'length', false),
        attempt(3, null, 'length', false),
      ],
      checker,
      0.6,
    );
    expect(s).toMatchObject({ correct: 2, truncated: 2, solveRate: 1, verified: true, majorityShare: 1 });
    // Every attempt cut: unverified with that reason, no solve-rate at all.
    const cut = summarize(
      [attempt(0, null, 'length', false), attempt(1, '7', 'length', false)],
      checker,
      0.6,
    );
    expect(cut).toMatchObject({
      solveRate: null,
      verified: false,
      unverifiedReason: 'all_truncated',
      truncated: 2,
    });
    // Counted as wrong when the policy says so.
    const wrong = summarize([attempt(0, '5', 'stop', true), attempt(1, null, 'length', true)], checker, 0.6);
    expect(wrong).toMatchObject({ solveRate: 0.5, truncated: 1 });
  });
});

describe('solving through the gateway', () => {
  const settings = (adaptive: boolean) => ({
    k: 8,
    temperature: 0.7,
    topP: 0.95,
    maxTokens: 512,
    disputedMajority: 0.6,
    truncated: 'exclude' as const,
    noAnswer: 'exclude' as 'exclude' | 'wrong',
    adaptive: { enabled: adaptive, roundSize: 4, maxK: 32, confidence: 0.9 },
    bands: [0.25, 0.5, 0.75],
  });
  const problem = 'Find the greatest common divisor of $84$ and $126$.';
  const gatewayOf = (backend: ModelBackend = new SimBackend()) =>
    createGateway(modelSettings({ kind: 'sim', max_concurrency: 8 }), backend, new MemoryCache());
  const call = { task: 0 };
  const solveOne = (
    gateway: ReturnType<typeof gatewayOf>['gateway'],
    text: string,
    reference: string,
    s: ReturnType<typeof settings>,
  ) => solve(gateway, loadTemplate('solve'), new AnswerChecker(), text, reference, 5, s, call);

  it('fixed k: one request with n=k; a repeat is answered from the cache with the same usage', async () => {
    const { gateway, ledger } = gatewayOf();
    const first = await solveOne(gateway, problem, '42', settings(false));
    expect(first.attempts).toHaveLength(8);
    expect(first.keys).toHaveLength(1);
    expect(first.usage.requests).toBe(1);
    expect(ledger.totals()).toMatchObject({ requestsSent: 1, cacheHits: 0 });
    const again = await solveOne(gateway, problem, '42', settings(false));
    expect(again).toEqual(first);
    expect(ledger.totals()).toMatchObject({ requestsSent: 1, cacheHits: 1 });
  });

  it('without n support, k single requests with one key per sample', async () => {
    const { gateway } = gatewayOf(Object.assign(new SimBackend(), { supportsN: false }));
    const r = await solveOne(gateway, problem, '42', settings(false));
    expect(r.attempts).toHaveLength(8);
    expect(new Set(r.keys).size).toBe(8);
    expect(r.usage.requests).toBe(8);
  });

  it("records each choice's finish reason; cut attempts leave the denominator", async () => {
    const { gateway } = gatewayOf();
    // The sim writes about 4 characters per token: 8 tokens cut every worked solution.
    const r = await solveOne(gateway, problem, '42', { ...settings(false), maxTokens: 8 });
    expect(r.attempts.every((a) => a.finishReason === 'length' && !a.counted)).toBe(true);
    expect(r).toMatchObject({
      truncated: 8,
      solveRate: null,
      verified: false,
      unverifiedReason: 'all_truncated',
    });
  });

  it('an attempt that states no final answer is malformed: left out, never graded as "Let" or "x"', async () => {
    const texts = [
      'So the answer is $\\boxed{42}$.',
      'Let',
      'Let $x$ be the number of', // a garbled reply: the last math is no answer
      'The answer is 41.',
      'I am not sure.',
      '42',
    ];
    const scripted: ModelBackend = {
      description: 'scripted',
      model: 'scripted',
      supportsN: true,
      send: async (request) => ({
        choices: texts.slice(0, request.n).map((text) => ({ text, finishReason: 'stop' })),
        usage: { promptTokens: 1, completionTokens: 1 },
        model: 'scripted',
      }),
      close: async () => {},
    };
    const { gateway } = gatewayOf(scripted);
    const k6 = { ...settings(false), k: 6 };
    const r = await solveOne(gateway, problem, '42', k6);
    expect(r.attempts.map((a) => a.answer)).toEqual(['42', null, null, '41', null, '42']);
    expect(r.attempts.map((a) => a.counted)).toEqual([true, false, false, true, false, true]);
    expect(r).toMatchObject({ noAnswer: 3, correct: 2, solveRate: 2 / 3, majorityAnswer: '42' });
    // `no_answer: wrong` counts them, as wrong answers.
    const wrong = await solveOne(gateway, problem, '42', { ...k6, noAnswer: 'wrong' });
    expect(wrong).toMatchObject({ noAnswer: 3, correct: 2, solveRate: 2 / 6 });
    // None could count: unverified with that reason.
    const garbledOnly: ModelBackend = {
      ...scripted,
      send: async (request) => ({
        choices: Array.from({ length: request.n }, () => ({ text: 'Let', finishReason: 'stop' })),
        usage: { promptTokens: 1, completionTokens: 1 },
        model: 'scripted',
      }),
    };
    const g = await solveOne(gatewayOf(garbledOnly).gateway, problem, '42', k6);
    expect(g).toMatchObject({ solveRate: null, verified: false, unverifiedReason: 'no_answer', noAnswer: 6 });
  });

  it('adaptive: stops early on an easy problem, samples more on a borderline one', async () => {
    const { gateway } = gatewayOf();
    const easy = await solveOne(
      gateway,
      'Find the greatest common divisor of $12$ and $18$.',
      '6',
      settings(true),
    );
    expect(easy.attempts.length).toBeLessThan(32);
    expect(easy.attempts.length % 4).toBe(0);
    // A wrong reference the solver never reaches: decided once the interval falls below the first cut.
    const wrong = await solveOne(gateway, problem, '1000', settings(true));
    expect(wrong.verified).toBe(false);
    expect(wrong.attempts.length).toBeGreaterThanOrEqual(12);
  });
});
