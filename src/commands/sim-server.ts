import { type Command, InvalidArgumentError } from 'commander';
import {
  BEHAVIOURS,
  type Behaviour,
  CONTEXT_OVERFLOWS,
  type ContextOverflow,
  type Outage,
  profileOf,
  type ServerProfile,
} from '../sim/behaviour.js';
import { type Latency, startSimServer } from '../sim/server.js';
import { UserError } from '../util/errors.js';
import { choiceArg, intArg, numArg, rateArg } from './args.js';

/** The profile flags as commander hands them over; unset ones keep the profile's value. */
interface ProfileFlags {
  behave: Behaviour;
  context?: number;
  contextOverflow?: ContextOverflow;
  slots?: number;
  loadingS?: number;
  outage?: Outage;
  n: boolean;
}

export function register(program: Command): void {
  program
    .command('sim-server')
    .description(
      'Serve the simulated model over the OpenAI-compatible protocol (for tests, demos and dry runs; not a language model)',
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', intArg('--port', 0, 65535), 8000)
    .option(
      '--model <names>',
      'model name(s) the server answers to, comma-separated (sim-1,judge-1 serves a judge beside the model)',
      'sim-1',
    )
    .option(
      '--latency-ms <ms>',
      'latency per request: fixed, or the median of the log-normal',
      numArg('--latency-ms', 0, 600_000),
      0,
    )
    .option(
      '--latency-sigma <s>',
      'log-normal latency with this sigma (0 = fixed latency)',
      numArg('--latency-sigma', 0, 5),
      0,
    )
    .option('--fault-500 <rate>', 'share of requests answered with HTTP 500', rateArg('--fault-500'), 0)
    .option(
      '--fault-429 <rate>',
      'share of requests answered with HTTP 429 and Retry-After',
      rateArg('--fault-429'),
      0,
    )
    .option(
      '--retry-after <seconds>',
      'Retry-After sent with injected 429s',
      numArg('--retry-after', 0, 3600),
      1,
    )
    .option('--fault-hang <rate>', 'share of requests never answered', rateArg('--fault-hang'), 0)
    .option(
      '--fault-truncate <rate>',
      'share of responses whose body is cut short',
      rateArg('--fault-truncate'),
      0,
    )
    .option(
      '--fault-malformed <rate>',
      'share of responses with malformed content (invalid JSON, no final answer)',
      rateArg('--fault-malformed'),
      0,
    )
    .option('--api-key-env <var>', 'require `Authorization: Bearer $VAR` on every request')
    .option(
      '--behave <server>',
      `pass for a real server (${BEHAVIOURS.join(', ')}): its n>1, JSON-schema, context, model-name and slot rules`,
      choiceArg('--behave', BEHAVIOURS),
      'default',
    )
    .option(
      '--context <tokens>',
      'context window in tokens (0 = unlimited)',
      intArg('--context', 0, 10_000_000),
    )
    .option(
      '--context-overflow <mode>',
      'past the context window: reject (an error) or truncate (cut the prompt and the output)',
      choiceArg('--context-overflow', CONTEXT_OVERFLOWS),
    )
    .option(
      '--slots <n>',
      'requests processed at once, the rest queued (0 = no limit)',
      intArg('--slots', 0, 100_000),
    )
    .option(
      '--loading-s <s>',
      'answer 503 "Loading model" for this long after start',
      numArg('--loading-s', 0, 86_400),
    )
    .option(
      '--outage <start_s>:<duration_s>',
      'stop listening and drop all connections at start_s, listen again duration_s later',
      outageArg,
    )
    .option('--no-n', 'answer n>1 with HTTP 500, as llama.cpp server does')
    .option(
      '--batch-delay-s <s>',
      'batch API: seconds a batch takes (validating, then in progress)',
      numArg('--batch-delay-s', 0, 86_400),
      0,
    )
    .option(
      '--batch-error-rate <rate>',
      'batch API: share of lines that fail (into the error file)',
      rateArg('--batch-error-rate'),
      0,
    )
    .option(
      '--batch-complete <share>',
      'batch API: share of lines done when a batch ends; below 1 the batch ends expired',
      rateArg('--batch-complete'),
      1,
    )
    .option('--seed <n>', 'seed of the fault and latency stream', intArg('--seed', 0, 2 ** 31), 0)
    .action(async (opts) => {
      const faults = {
        http500: opts.fault500,
        http429: opts.fault429,
        retryAfterSeconds: opts.retryAfter,
        hang: opts.faultHang,
        truncate: opts.faultTruncate,
        malformed: opts.faultMalformed,
      };
      const total = faults.http500 + faults.http429 + faults.hang + faults.truncate + faults.malformed;
      if (total > 1) throw new UserError(`fault rates add up to ${total.toFixed(3)}; they must not exceed 1`);
      const models = String(opts.model)
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== '');
      if (models.length === 0)
        throw new UserError(
          '--model: give at least one model name (several: comma-separated, e.g. sim-1,judge-1)',
        );
      let apiKey: string | null = null;
      if (opts.apiKeyEnv) {
        apiKey = process.env[opts.apiKeyEnv] ?? '';
        if (apiKey === '')
          throw new UserError(`--api-key-env ${opts.apiKeyEnv}: that environment variable is not set`);
      }
      const latency: Latency =
        opts.latencySigma > 0
          ? { kind: 'lognormal', medianMs: opts.latencyMs, sigma: opts.latencySigma }
          : { kind: 'fixed', ms: opts.latencyMs };
      const server = await startSimServer({
        host: opts.host,
        port: opts.port,
        models,
        latency,
        faults,
        apiKey,
        seed: opts.seed,
        profile: profileFrom(opts),
        batch: {
          delayS: opts.batchDelayS,
          faults: { errorRate: opts.batchErrorRate, complete: opts.batchComplete, seed: opts.seed },
        },
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          throw new UserError(
            `port ${opts.port} on ${opts.host} is already in use; pick another with --port (0 = any free port)`,
          );
        throw err;
      });
      process.stdout.write(
        `sim-server listening on ${server.url} (model ${models.join(', ')}, behaving as ${opts.behave})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void server.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function profileFrom(flags: ProfileFlags): ServerProfile {
  const profile = profileOf(flags.behave);
  if (flags.context !== undefined) profile.contextTokens = flags.context === 0 ? null : flags.context;
  if (flags.contextOverflow !== undefined) profile.contextOverflow = flags.contextOverflow;
  if (flags.slots !== undefined) profile.slots = flags.slots === 0 ? null : flags.slots;
  if (flags.loadingS !== undefined) profile.loadingMs = flags.loadingS * 1000;
  if (flags.outage !== undefined) profile.outage = flags.outage;
  if (!flags.n) profile.multipleChoices = 'reject';
  return profile;
}

function outageArg(value: string): Outage {
  const parts = value.split(':');
  if (parts.length !== 2)
    throw new InvalidArgumentError(
      `--outage expects <start_s>:<duration_s> (seconds after start, then seconds down), e.g. 30:5, got "${value}"`,
    );
  const start = numArg('--outage start_s', 0, 86_400)(parts[0]!);
  const duration = numArg('--outage duration_s', 0, 86_400)(parts[1]!);
  return { startMs: start * 1000, durationMs: duration * 1000 };
}
