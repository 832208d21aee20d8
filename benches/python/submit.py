"""Commands per second through gridbook's Python package, beside the same work in Rust.

On one generated stream (`gridbook.generate`, the mix of `gridbook gen`), in one process, rounds
interleaved so that a noisy machine hurts every path alike:
  replay      gridbook.replay(lines): the whole stream in Rust, events as one Arrow table
  batch-str   Market.submit(lines[i:i+B]) in batches of B JSON lines (str)
  batch-dict  Market.submit(dicts[i:i+B]): commands as dicts (json.dumps per command)
  one-str     Market.submit(line) one at a time: events back as dicts
  one-dict    Market.submit(dict) one at a time
  cli         `gridbook replay FILE > /dev/null` (the binary given by --cli), whole process
and simulate's overhead: gridbook.simulate(baseline) against `gridbook simulate` of it.
Prints min–max over rounds. Usage (BENCHMARKS.md, "Python"):
  .tools/venv/bin/python benches/python/submit.py --cli target/release/gridbook
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import gridbook


def timed(work):
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resting", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=100_000, help="commands timed one at a time")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli", help="the gridbook binary, for the side-by-side CLI figures")
    parser.add_argument("--scenario", default="simulations/scenarios/baseline.toml")
    args = parser.parse_args()

    lines = gridbook.generate(seed=args.seed, resting=args.resting, orders=args.orders)
    dicts = [json.loads(line) for line in lines]
    n = len(lines)
    single = min(args.single, n)
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(lines) + "\n")

    def batches(items):
        market = gridbook.Market()
        for at in range(0, len(items), args.batch):
            market.submit(items[at:at + args.batch])

    def one_by_one(items):
        market = gridbook.Market()
        for item in items:
            market.submit(item)

    paths = {
        "replay": (n, lambda: gridbook.replay(lines)),
        "batch-str": (n, lambda: batches(lines)),
        "batch-dict": (n, lambda: batches(dicts)),
        "one-str": (single, lambda: one_by_one(lines[:single])),
        "one-dict": (single, lambda: one_by_one(dicts[:single])),
    }
    if args.cli:
        command = [args.cli, "replay", path]
        paths["cli"] = (n, lambda: subprocess.run(command, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, check=True))
    rates = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, (count, work) in paths.items():
            rates[name].append(count / timed(work))
    os.unlink(path)
    print(f"stream: seed {args.seed}, {args.resting} resting + {args.orders} orders = {n} lines; "
          f"batches of {args.batch}; {args.rounds} rounds (min-max)")
    for name, values in rates.items():
        print(f"  {name:<10} {min(values) / 1e3:8.0f} - {max(values) / 1e3:8.0f} k commands/s")

    py_s, cli_s = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.rounds):
            py_s.append(timed(lambda: gridbook.simulate(args.scenario, seed=1)))
            if args.cli:
                command = [args.cli, "simulate", args.scenario, "--seed", "1", "--out", out]
                cli_s.append(timed(lambda: subprocess.run(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)))
    print(f"simulate {args.scenario}: python {min(py_s):.3f} - {max(py_s):.3f} s", end="")
    print(f"; cli {min(cli_s):.3f} - {max(cli_s):.3f} s" if cli_s else "")


if __name__ == "__main__":
    sys.exit(main())
