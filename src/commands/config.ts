import type { Command } from 'commander';
import { stringify } from 'yaml';
import { addBackendOptions, addConfigOptions, type ConfigFlags, resolveConfig } from './config-options.js';

export function register(program: Command): void {
  const cmd = program
    .command('config')
    .description(
      'Validate the configuration (file, environment, flags) and print it with every default filled in',
    );
  addBackendOptions(addConfigOptions(cmd)).action((flags: ConfigFlags) => {
    process.stdout.write(stringify(resolveConfig(flags)));
  });
}
