/**
 * How each server words its replies outside the completion itself: error bodies and the
 * descriptions of the model it serves. The bodies are those the real servers send, so that a
 * client's error handling and model discovery are tested against what it will meet.
 */
import type { Behaviour } from './behaviour.js';

export interface Reply {
  status: number;
  body: unknown;
}

export function modelNotFound(behaviour: Behaviour, requested: string, served: string): Reply {
  switch (behaviour) {
    case 'vllm':
      return {
        status: 404,
        body: {
          object: 'error',
          message: `The model \`${requested}\` does not exist.`,
          type: 'NotFoundError',
          param: null,
          code: 404,
        },
      };
    case 'ollama':
      return {
        status: 404,
        body: {
          error: {
            message: `model "${requested}" not found, try pulling it first`,
            type: 'api_error',
            param: null,
            code: null,
          },
        },
      };
    case 'openai':
      return {
        status: 404,
        body: {
          error: {
            message: `The model \`${requested}\` does not exist or you do not have access to it.`,
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_found',
          },
        },
      };
    default:
      return {
        status: 404,
        body: {
          error: {
            message: `The model \`${requested}\` does not exist. This server serves \`${served}\`.`,
            type: 'invalid_request_error',
          },
        },
      };
  }
}

/** llama.cpp's answer to n>1, which is also what `--no-n` sends. */
export const ONE_CHOICE_ONLY: Reply = {
  status: 500,
  body: { error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' } },
};

export function loadingModel(behaviour: Behaviour): Reply {
  const message = 'Loading model';
  switch (behaviour) {
    case 'llamacpp':
      return { status: 503, body: { error: { code: 503, message, type: 'unavailable_error' } } };
    case 'vllm':
      return {
        status: 503,
        body: { object: 'error', message, type: 'ServiceUnavailableError', param: null, code: 503 },
      };
    case 'ollama':
    case 'openai':
      return { status: 503, body: { error: { message, type: 'server_error', param: null, code: null } } };
    default:
      return { status: 503, body: { error: { message, type: 'server_error' } } };
  }
}

/** GET /v1/models. */
export function modelList(
  behaviour: Behaviour,
  models: readonly string[],
  contextTokens: number | null,
  createdS: number,
): unknown {
  return { object: 'list', data: models.map((m) => modelEntry(behaviour, m, contextTokens, createdS)) };
}

function modelEntry(
  behaviour: Behaviour,
  model: string,
  contextTokens: number | null,
  createdS: number,
): unknown {
  const base = { id: model, object: 'model', created: createdS };
  switch (behaviour) {
    case 'vllm':
      return {
        ...base,
        owned_by: 'vllm',
        root: model,
        parent: null,
        max_model_len: contextTokens,
        permission: [
          {
            id: `modelperm-${model}`,
            object: 'model_permission',
            created: createdS,
            allow_sampling: true,
            allow_view: true,
            organization: '*',
            is_blocking: false,
          },
        ],
      };
    case 'llamacpp':
      return {
        ...base,
        owned_by: 'llamacpp',
        meta: {
          vocab_type: 2,
          n_vocab: 151936,
          n_ctx_train: 32768,
          n_embd: 896,
          n_params: 494032768,
          size: 1001000000,
        },
      };
    case 'ollama':
      return { ...base, owned_by: 'library' };
    case 'openai':
      return { ...base, owned_by: 'system' };
    default:
      return { ...base, owned_by: 'sparq-sim' };
  }
}

/** llama.cpp's GET /props, where clients read the context size and the number of slots. */
export function llamacppProps(model: string, contextTokens: number | null, slots: number | null): unknown {
  const modelPath = `/models/${model}.gguf`;
  return {
    default_generation_settings: {
      n_ctx: contextTokens,
      n_predict: -1,
      model: modelPath,
      temperature: 0.8,
      top_k: 40,
      top_p: 0.95,
    },
    total_slots: slots,
    model_path: modelPath,
    build_info: 'b4800-sim',
  };
}
