#!/usr/bin/python3
# Optuna TPE peer for bench/tuner/tuner_vs_peers: the C++ benchmark drives this process over
# stdin/stdout (one JSON object per line), so both tuners see exactly the same objective code.
#   in : {"params": [{"name", "type": "float"|"int"|"categorical", "low", "high", "log", "choices"}],
#         "seed": s, "init": [{...}, ...], "evaluations": n, "time_at": [10, 25, 50]}
#   out: {"params": {...}, "ms": t} for every proposal; in: {"value": v} after each; then the extra
#        timing-only proposals, {"timing": {"10": {"wall": ms, "cpu": ms}, ...}}; loops until stdin closes.
import json
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distributions(spec):
    out = {}
    for p in spec:
        if p["type"] == "float":
            out[p["name"]] = optuna.distributions.FloatDistribution(p["low"], p["high"], log=p.get("log", False))
        elif p["type"] == "int":
            out[p["name"]] = optuna.distributions.IntDistribution(p["low"], p["high"], log=p.get("log", False))
        else:
            out[p["name"]] = optuna.distributions.CategoricalDistribution(p["choices"])
    return out


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def run(config):
    dists = distributions(config["params"])
    sampler = optuna.samplers.TPESampler(seed=config["seed"], n_startup_trials=len(config["init"]))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    for params in config["init"]:
        study.enqueue_trial(params)
    timing = {}
    time_at = set(config["time_at"])
    for i in range(max(config["evaluations"], max(time_at) + 1)):
        start = time.perf_counter()
        cpu_start = time.thread_time()
        trial = study.ask(dists)
        ms = (time.perf_counter() - start) * 1e3
        cpu_ms = (time.thread_time() - cpu_start) * 1e3
        if i in time_at:
            timing[str(i)] = {"wall": ms, "cpu": cpu_ms}
        if i >= config["evaluations"]:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        send({"params": trial.params, "ms": ms})
        reply = json.loads(sys.stdin.readline())
        study.tell(trial, reply["value"])
    send({"timing": timing})


def main():
    for line in sys.stdin:
        line = line.strip()
        if line:
            run(json.loads(line))


if __name__ == "__main__":
    main()
