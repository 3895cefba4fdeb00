import type { Command } from 'commander';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { UserError } from '../util/errors.js';

/**
 * `sparq show <dir> <uid>`: one problem or rejection with everything it was made from, as JSON
 * (model text stays data: JSON escapes every control character).
 */
export function register(program: Command): void {
  program
    .command('show')
    .description(
      "Print a problem or rejection of a run with its task's stored requests and responses (mutation, labels, solve attempts), as JSON",
    )
    .argument('<dir>', 'run directory')
    .argument(
      '<uid>',
      'problem or rejection uid, e.g. g3-t17 or seed:train/algebra/1.json (the uid of exports and reports)',
    )
    .action((dir: string, uid: string) => {
      const store = SqliteRunStore.openReadOnly(dir, (line) => process.stderr.write(`${line}\n`));
      try {
        const found = store.provenance(uid);
        if (!found)
          throw new UserError(
            `${dir} has no problem or rejection with uid ${JSON.stringify(uid)}: uids look like g3-t17 (generation 3, task 17) or seed:<seed id>; see sparq export or a selection's metadata`,
          );
        const { problem, rejection, responses } = found;
        process.stdout.write(
          `${JSON.stringify(
            {
              ...(problem ? { problem } : { rejection }),
              responses: responses.map(({ task: _task, ...r }) => r),
            },
            null,
            2,
          )}\n`,
        );
      } finally {
        store.close();
      }
    });
}
