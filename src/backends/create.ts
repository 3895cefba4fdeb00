import type { ModelSettings } from './capabilities.js';
import { OpenAIHttpBackend } from './openai-http.js';
import { SimBackend } from './sim-backend.js';
import type { ModelBackend } from './types.js';

/** The backend a configuration asks for. API keys are read from `env`, by the name the config gives. */
export function createBackend(config: ModelSettings, env: NodeJS.ProcessEnv = process.env): ModelBackend {
  if (config.kind === 'sim') return new SimBackend(config.model);
  return new OpenAIHttpBackend(config, env);
}
