/**
 * Configurations as a run uses them, for tests that wire runs in process: every `auto` model
 * setting decided as against an endpoint that supports everything (the simulated model).
 */
import { SIM_CAPABILITIES, settingsFor } from '../../src/backends/capabilities.js';
import { BackendSchema, ConfigSchema } from '../../src/config/schema.js';
import type { RunConfig } from '../../src/engine/run-settings.js';

export function runConfig(input: Record<string, unknown> = {}): RunConfig {
  const config = ConfigSchema.parse(input);
  return { ...config, model: settingsFor(config.model, SIM_CAPABILITIES) };
}

export function modelSettings(input: Record<string, unknown> = {}) {
  return settingsFor(BackendSchema.parse(input), SIM_CAPABILITIES);
}
