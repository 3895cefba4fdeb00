import type { Command } from 'commander';
import type { DecidedSettings } from '../backends/capabilities.js';
import { type DoctorReport, runDoctor } from '../engine/doctor.js';
import { formatDecided } from '../engine/status.js';
import { UserError } from '../util/errors.js';
import { addBackendOptions, addConfigOptions, type ConfigFlags, resolveConfig } from './config-options.js';

export function register(program: Command): void {
  const cmd = program
    .command('doctor')
    .description(
      'Ask a model endpoint what it supports (n>1, JSON schema, model name, context, slots, latency) and print the settings to use',
    )
    .option('--json', 'print the findings as JSON');
  addBackendOptions(addConfigOptions(cmd)).action(async (flags: ConfigFlags & { json?: boolean }) => {
    const config = resolveConfig(flags);
    if (config.model.kind === 'sim')
      throw new UserError(
        'model.kind is sim: the in-process simulated model supports everything; point doctor at a server with --base-url (e.g. `sparq sim-server`)',
      );
    const report = await runDoctor(config.model, {
      all: true,
      onWait: (message) => process.stderr.write(`${message}\n`),
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  });
}

export function formatDoctorReport(r: DoctorReport): string {
  const c = r.capabilities;
  const lines = [
    `endpoint:   ${r.endpoint}${c.server ? ` (${c.server})` : ''}`,
    `model:      ${c.servedModels ? `served: ${c.servedModels.join(', ')}` : 'the server lists no models'}${c.reportedModel ? `; replies name ${c.reportedModel}` : ''}`,
    `n > 1:      ${c.n === 'honoured' ? 'honoured: k attempts in one request' : c.n === 'dropped' ? 'ignored (one choice comes back): k requests with seeds seed..seed+k-1' : 'refused: k requests with seeds seed..seed+k-1'}`,
    `JSON schema: ${c.schema === 'enforced' ? 'enforced: labels are constrained to the taxonomy' : c.schema === 'ignored' ? 'accepted but NOT enforced: labels are asked for in text and parsed' : 'refused: labels are asked for in text and parsed'}`,
    `context:    ${c.contextTokens === null ? 'not reported' : `${c.contextTokens} tokens (${c.contextSource}): requests are fitted to it`}`,
    `slots:      ${c.slots === null ? 'not reported' : c.slots}`,
    `latency:    ${c.latencyMs} ms for a short request`,
    '',
    'what each probe saw:',
    ...r.observations.map((o) => `  - ${o}`),
  ];
  if (r.warnings.length > 0) lines.push('', 'warnings:', ...r.warnings.map((w) => `  - ${w}`));
  lines.push(
    '',
    `settings (with auto, sparq run and sparq eval decide the same at start-up): ${formatDecided(r.decided)}`,
    '',
    'to fix them in the configuration file:',
    ...configLines(r.decided),
  );
  return `${lines.join('\n')}\n`;
}

function configLines(d: DecidedSettings): string[] {
  return [
    'model:',
    ...Object.entries(d).map(([key, { value }]) => `  ${key}: ${value === null ? 'null' : String(value)}`),
  ];
}
