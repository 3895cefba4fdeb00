import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { STARTER_CONFIG } from '../config/starter.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('Write a commented starter configuration file')
    .argument('[file]', 'where to write it', 'sparq.yaml')
    .option('--force', 'overwrite an existing file')
    .action((file: string, opts: { force?: boolean }) => {
      if (existsSync(file) && !opts.force)
        throw new UserError(`${file} already exists; pass --force to overwrite it`);
      writeFileSync(file, STARTER_CONFIG);
      process.stdout.write(
        `wrote ${file}: edit model.base_urls and model.model, then \`sparq run <dir> --config ${file}\`\n`,
      );
    });
}
