import type { Command } from 'commander';
import { formatMoney } from '../engine/cost.js';
import { estimatePlan, type PilotMeasurement, type PlanEstimate, runPilot } from '../engine/plan.js';
import { loadSeeds } from '../seeds/load.js';
import { duration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { abortOnSignals } from '../util/interrupt.js';
import { intArg } from './args.js';
import { addBackendOptions, addConfigOptions, type ConfigFlags, resolveConfig } from './config-options.js';

interface PlanFlags extends ConfigFlags {
  pilotSeeds: number;
  pilotGenerations: number;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description(
      'Estimate requests, tokens, money and time of the configured run from a short pilot against its endpoint (nothing is kept)',
    )
    .option('--pilot-seeds <n>', 'seeds the pilot evaluates', intArg('--pilot-seeds', 1, 100_000), 20)
    .option(
      '--pilot-generations <n>',
      "generations (of the run's batch size) the pilot runs after its seeds",
      intArg('--pilot-generations', 1, 1000),
      2,
    )
    .option('--json', 'print the pilot and the estimate as JSON');
  addBackendOptions(addConfigOptions(cmd)).action(async (flags: PlanFlags) => {
    const config = resolveConfig(flags);
    const loaded = loadSeeds(config.seeds.path, {
      skipInvalid: config.seeds.skip_invalid,
      maxProblemChars: config.generation.max_problem_chars,
    });
    const available = loaded.seeds.length - loaded.tooLong.size;
    if (available === 0)
      throw new UserError(
        `every seed problem of ${loaded.file} is over generation.max_problem_chars (${config.generation.max_problem_chars}): raise the limit or give shorter seeds`,
      );
    const seeds = Math.min(config.seeds.sample ?? available, available);
    const controller = new AbortController();
    const stop = abortOnSignals(controller);
    let pilot: PilotMeasurement;
    const endpoint = config.model.kind === 'sim' ? 'the simulated model' : config.model.base_urls.join(', ');
    if (!flags.json)
      process.stderr.write(
        `plan: piloting ${Math.min(flags.pilotSeeds, seeds)} seeds and ${flags.pilotGenerations} generation(s) of ${config.generation.batch_size} against ${endpoint} (model ${config.model.model})...\n`,
      );
    try {
      pilot = await runPilot(config, {
        seeds: Math.min(flags.pilotSeeds, seeds),
        generations: flags.pilotGenerations,
        signal: controller.signal,
      });
    } finally {
      stop();
    }
    const batch = config.batch.files || config.model.kind === 'openai-batch';
    const estimate = estimatePlan(
      pilot,
      { seeds, batchSize: config.generation.batch_size, ...config.budget },
      config.pricing,
      batch,
    );
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ endpoint, model: config.model.model, seeds, pilot, estimate }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(formatPlan(pilot, estimate, seeds, batch, config.pricing === null));
  });
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const one = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

function formatPlan(
  pilot: PilotMeasurement,
  e: PlanEstimate,
  seeds: number,
  batch: boolean,
  noPricing: boolean,
): string {
  const use = (label: string, u: PilotMeasurement['seeds']) =>
    `  ${label}: ${num(u.tasks)} tasks, ${one(u.requests / Math.max(1, u.tasks))} requests and ${num(u.promptTokens / Math.max(1, u.tasks))} prompt / ${num(u.completionTokens / Math.max(1, u.tasks))} completion tokens each (${u.seconds.toFixed(1)} s)`;
  const lines = [
    'pilot',
    use('seed tasks    ', pilot.seeds),
    use('mutation tasks', pilot.mutations),
    `  ${num(pilot.generatedProblems)} of ${num(pilot.mutations.tasks)} mutation tasks added a problem to the pool`,
    '',
  ];
  const money = (c: PlanEstimate['cost']) =>
    c
      ? `, ${formatMoney(c.amount, c.currency)}${batch ? ` (batch price, ${Math.round(c.batchDiscount * 100)}% off)` : ''}`
      : '';
  if (e.unmeasured.length > 0)
    lines.push(
      `${e.unmeasured.join(', ')}: the pilot's mutation tasks used none of it (no problem added, or no request or token counted), so the run's end by it cannot be estimated; run a longer pilot (--pilot-generations)`,
      '',
    );
  if (e.mutationTasks === null) {
    lines.push(
      `estimate: ${e.unmeasured.length > 0 ? 'no budget that can be estimated bounds this run' : 'no budget bounds this run (budget.generations, .problems, .requests and .tokens are all null)'}; ${num(seeds)} seed tasks, then per 1,000 mutation tasks:`,
      `  ${num(e.perThousandTasks.requests)} requests, ${num(e.perThousandTasks.promptTokens)} prompt / ${num(e.perThousandTasks.completionTokens)} completion tokens${money(e.perThousandTasks.cost)}`,
    );
  } else {
    lines.push(
      `estimate for the configured run: ${num(seeds)} seed tasks, then ${num(e.mutationTasks)} mutation tasks (${e.boundBy} ends it first)`,
      `  requests   ${num(e.requests!)}`,
      `  tokens     ${num(e.promptTokens!)} prompt / ${num(e.completionTokens!)} completion${money(e.cost)}`,
      `  problems   about ${num(seeds + e.generatedProblems!)} in the pool (${num(e.generatedProblems!)} generated)`,
    );
    if (e.seconds !== null)
      lines.push(
        batch
          ? `  time       set by the batch service (online, the run would take about ${duration(e.seconds)})`
          : `  time       about ${duration(e.seconds)} at the pilot's request rate (a longer run keeps more requests in flight, so it may go faster)`,
      );
    lines.push(
      '  (measured on the first generations: later, harder problems have longer solutions, so expect more completion tokens)',
    );
  }
  if (noPricing)
    lines.push('', 'No `pricing` in the configuration: set it to see money (sparq init shows the keys).');
  return `${lines.join('\n')}\n`;
}
