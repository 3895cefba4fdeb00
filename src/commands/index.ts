import type { Command } from 'commander';
import { register as check } from './check.js';
import { register as compare } from './compare.js';
import { register as config } from './config.js';
import { register as decontaminate } from './decontaminate.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as evaluate } from './eval.js';
import { register as exportPool } from './export.js';
import { register as init } from './init.js';
import { register as plan } from './plan.js';
import { register as report } from './report.js';
import { register as run } from './run.js';
import { register as scaling } from './scaling.js';
import { register as select } from './select.js';
import { register as show } from './show.js';
import { register as simBatch } from './sim-batch.js';
import { register as simServer } from './sim-server.js';
import { register as stats } from './stats.js';
import { register as status } from './status.js';
import { register as watch } from './watch.js';

/** Every CLI command, in the order `sparq --help` lists them. */
export const commands: Array<(program: Command) => void> = [
  demo,
  init,
  config,
  doctor,
  plan,
  run,
  status,
  watch,
  show,
  stats,
  select,
  exportPool,
  decontaminate,
  report,
  evaluate,
  compare,
  scaling,
  simServer,
  simBatch,
  check,
];
