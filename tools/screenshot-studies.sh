#!/usr/bin/env bash
# Runs the two small CPU studies the README screenshots show (a GPT training study with every
# trial's timeline captured, and a GPT serving Pareto study), then regenerates the screenshots:
#   tools/screenshot-studies.sh [BUILD_DIR]      (default build/release; about a minute)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/train.yaml" <<YAML
name: gpt-small
workload: gpt-train
settings: {n_layer: 2, n_embd: 192, n_head: 4, seq_len: 64, steps_per_window: 2}
search_space:
  batch_size: {low: 4, high: 32, scale: pow2}
  precision: [fp32, bf16]
  threads: {low: 1, high: 2}
  replicas: {low: 1, high: 2}
  lr: {low: 1.0e-4, high: 3.0e-3, scale: log}
constraints: ["threads * replicas <= 2"]
objectives: [tokens_per_s:max]
budget: {trials: 16}
measurement: {warmup: 1, min_samples: 3, max_samples: 6, max_noise: 0.05}
capture: {policy: all, skip: 1, steps: 2}
storage: $work/gpt-small.lwb
YAML
cat > "$work/serve.yaml" <<YAML
name: gpt-serving
workload: gpt-infer
settings: {n_layer: 2, n_embd: 192, n_head: 4, prompt_len: 32, gen_len: 16, seq_len: 64}
search_space:
  batch_size: {low: 1, high: 16, scale: pow2}
  precision: [fp32, bf16, int8]
  threads: {low: 1, high: 2}
objectives: [decode_tokens_per_s:max, p99_latency_ms:min]
budget: {trials: 12}
measurement: {warmup: 1, min_samples: 3, max_samples: 5, max_noise: 0.1}
storage: $work/gpt-serving.lwb
YAML
"$build/app/lwb" tune "$work/train.yaml" -q
"$build/app/lwb" tune "$work/serve.yaml" -q
"$root/tools/screenshots.sh" "$build" "$work/gpt-small.lwb" "$work/gpt-serving.lwb"
