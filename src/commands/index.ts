import type { Command } from 'commander';
import { register as config } from './config.js';
import { register as init } from './init.js';
import { register as simServer } from './sim-server.js';

/** Every CLI command, in the order `sparq --help` lists them. */
export const commands: Array<(program: Command) => void> = [init, config, simServer];
