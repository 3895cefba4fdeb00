/**
 * Flags shared by every command that reads the configuration or calls a model. The backend flags
 * (--base-url, --model, --api-key-env, --concurrency) override the config file the same way for
 * all of them.
 */
import { type Command, Option } from 'commander';
import { loadConfig, type Override } from '../config/load.js';
import type { SparqConfig } from '../config/schema.js';
import { UserError } from '../util/errors.js';

export interface ConfigFlags {
  config?: string;
  set?: string[];
  baseUrl?: string[];
  model?: string;
  apiKeyEnv?: string;
  concurrency?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration file (see `sparq init`)')
    .option(
      '--set <key=value>',
      'override one configuration key, e.g. --set solver.k=16 (repeatable)',
      collect,
    );
}

export function addBackendOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--base-url <url>',
        'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (repeatable)',
      ).argParser(collect),
    )
    .option('--model <name>', 'model name to request')
    .option('--api-key-env <var>', 'name of the environment variable holding the API key')
    .option('--concurrency <n>', 'maximum requests in flight');
}

export function resolveConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
  extra: Override[] = [],
  base?: { config: Record<string, unknown>; label: string },
): SparqConfig {
  const overrides: Override[] = [];
  for (const item of flags.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UserError(`--set expects key=value (e.g. --set solver.k=16), got "${item}"`);
    overrides.push({ path: item.slice(0, eq).trim(), value: item.slice(eq + 1), flag: `--set ${item}` });
  }
  if (flags.baseUrl?.length)
    overrides.push({ path: 'model.base_urls', value: flags.baseUrl, flag: '--base-url' });
  if (flags.model !== undefined) overrides.push({ path: 'model.model', value: flags.model, flag: '--model' });
  if (flags.apiKeyEnv !== undefined)
    overrides.push({ path: 'model.api_key_env', value: flags.apiKeyEnv, flag: '--api-key-env' });
  if (flags.concurrency !== undefined)
    overrides.push({ path: 'model.max_concurrency', value: flags.concurrency, flag: '--concurrency' });
  return loadConfig({
    base: base?.config,
    baseLabel: base?.label,
    file: flags.config ?? null,
    env,
    overrides: [...overrides, ...extra],
  });
}
