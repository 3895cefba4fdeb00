/**
 * The commented starter configuration that `sparq init` writes. A test checks that it parses to
 * exactly the schema defaults, so the comments cannot drift from what sparq does.
 */
export const STARTER_CONFIG = `# sparq configuration. Every key is optional: a missing key takes the default shown here.
# Precedence: this file < environment variables (SPARQ_SECTION__KEY, e.g. SPARQ_SOLVER__K=16)
# < command-line flags (--base-url, --model, --concurrency, --set section.key=value).

# Master seed: parent selection, operator choice, seed sampling and sampling seeds derive from it.
seed: 0

# The model that writes, solves and labels problems (SPARQ uses one model for all three).
model:
  # openai: any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).
  # openai-batch: an OpenAI-compatible Batch API at base_urls[0] (half the price, within 24 h).
  # sim: the simulated model in process (tests and dry runs; it is not a language model).
  kind: openai
  # One or more base URLs; requests go to the one with the fewest outstanding requests.
  base_urls:
    - http://127.0.0.1:8000/v1
  model: sim-1
  # NAME of the environment variable that holds the API key (the key itself never goes here).
  # null for local servers without authentication.
  api_key_env: null
  # Extra HTTP headers (no credentials: those are refused here). Their values are not stored.
  headers: {}
  # Headers whose values come from environment variables, e.g. {api-key: AZURE_OPENAI_API_KEY}.
  header_env: {}
  # A request with no complete response within this time is retried.
  timeout_ms: 300000
  # Requests in flight at once, across all base URLs. auto: twice the server's slots when it
  # reports them (llama.cpp), else 64. Set it to what your servers batch (e.g. 256 per vLLM replica).
  max_concurrency: auto
  # Retries of a request that fails (429, 5xx, timeouts) while other requests succeed, with
  # exponential backoff and jitter. One that keeps failing rejects its problem (server_rejected).
  max_retries: 8
  retry_base_ms: 500
  retry_max_ms: 60000
  # While no request at all succeeds (server restarting, model loading), keep retrying this long.
  outage_tolerance_s: 600
  # Stop the run when more than this share of recent requests is refused for its input.
  max_failure_share: 0.5
  # The settings below are found out at start-up when auto (see sparq doctor); true/false wins.
  # n>1 choices per request (vLLM, SGLang: yes; llama.cpp server, Ollama: no -> k requests).
  supports_n: auto
  # response_format json_schema enforced (else labels are parsed from text).
  json_schema: auto
  # Context length in tokens; requests are fitted to it. auto: as the server reports it (vLLM,
  # llama.cpp); null: no limit known.
  context_tokens: auto

seeds:
  # A JSONL file ({id, problem, solution, answer?, subject?, level?}), or the bundled MATH train split.
  path: bundled:math_train
  # Use a random sample of this many seeds; null uses them all (7,498 for bundled:math_train).
  # With 200 seeds and 30 generations of 64, about 9 in 10 problems of the pool are generated
  # and the archive starts with empty cells to fill, so the search shows; scale both up together.
  sample: 200
  # Skip malformed lines (and report how many) instead of failing.
  skip_invalid: false

generation:
  # Mutation tasks per generation: the reporting epoch of metrics, status and the report.
  batch_size: 64
  # Relative weights of the mutation operators.
  operators:
    vary: 0.4
    harder: 0.4
    combine: 0.2
  temperature: 1
  top_p: 0.95
  max_tokens: 2048
  # Generated problems longer than this are rejected (reason: too_long).
  max_problem_chars: 3000
  # Generated problems this similar (word-shingle Jaccard) to one already in the pool are
  # rejected (reason: near_duplicate); null turns the screen off.
  near_duplicate_threshold: 0.8

solver:
  # Attempts per problem; solve-rate = correct / k.
  k: 8
  temperature: 0.7
  top_p: 0.95
  max_tokens: 2048
  # A majority at least this large that disagrees with the reference marks the reference disputed.
  disputed_majority: 0.6
  # Attempts cut at max_tokens: exclude (left out of the solve-rate and the vote) or wrong.
  truncated: exclude
  # Attempts that end without stating a final answer: exclude (left out, counted as malformed) or wrong.
  no_answer: exclude
  # Sample in rounds and stop once the difficulty band is decided (Wilson interval).
  adaptive:
    enabled: false
    round_size: 4
    max_k: 32
    confidence: 0.9

labeling:
  temperature: 0
  max_tokens: 64
  # Times a label reply that breaks the requested format is asked again.
  malformed_retries: 1

verifier:
  # A model judge, asked only about attempts the answer-checking rules cannot decide (an answer
  # in words, prose, an unreadable one). null: the rules alone decide. For example:
  #   judge:
  #     model: my-verifier                      # served by the same server as the model, or
  #     base_urls: [http://verifier:8000/v1]    # its own (then give its own api_key_env)
  judge: null

archive:
  # Problems kept per (subject x skill) cell, by quality (1 - solve-rate).
  cell_capacity: 5
  # Add a difficulty-band dimension to the cells.
  difficulty_dimension: false
  # Solve-rate cut points of the difficulty bands (also used by adaptive sampling).
  difficulty_bands:
    - 0.25
    - 0.5
    - 0.75

selection:
  # uniform: uniform over occupied cells, then within the cell.
  # curiosity: cells whose children get accepted are chosen more often.
  # frontier: parents whose solve-rate lies in the frontier band.
  strategy: uniform
  frontier:
    - 0.2
    - 0.8

# The run stops at the first budget reached; null means no limit of that kind.
budget:
  generations: 30
  problems: null
  requests: null
  tokens: null

scheduler:
  # steady: a window of live tasks, no barriers. generations: one generation at a time.
  kind: steady
  # Live tasks (asked, not yet told); null derives it from model.max_concurrency, solver.k and
  # model.supports_n so that every request slot stays busy (in batch mode, from batch.max_requests).
  window: null
  # Commit the told prefix every this many tasks, or every this many seconds.
  commit_tasks: 1024
  commit_seconds: 5

# Batch mode: requests go into OpenAI Batch files (DIR/batches) instead of being sent one by one.
batch:
  # Write the files and exit with code 75 until their outputs are there (sparq run --batch-files);
  # run them with vllm run-batch, a Slurm array, Ray or a batch API (docs/batch.md).
  files: false
  # Requests one round trip carries at most; the default window fills it.
  max_requests: 50000
  # Limits of one file (OpenAI: 50,000 lines and 200 MB; Together: 100 MB).
  file_lines: 50000
  file_bytes: 190000000
  # model.kind openai-batch: polling backoff and the completion window asked for.
  poll_initial_s: 10
  poll_max_s: 600
  completion_window: 24h

# Prices, to show spend in money (status); null: tokens only. For example:
#   pricing:
#     prompt_per_million: 0.15       # per million prompt tokens
#     completion_per_million: 0.60   # per million completion tokens
#     batch_discount: 0.5            # off the price of requests answered through batch files
#     currency: USD
pricing: null

# Prometheus metrics while a run runs (GET /metrics); port null: not served.
metrics:
  port: null
  host: 127.0.0.1

# Skill taxonomy: bundled:v1 or a YAML file of the same shape.
taxonomy: bundled:v1
# Folder of prompt templates overriding the bundled ones (same file names); null for none.
prompts_dir: null
log_level: info
`;
