# Sourced by load.sh and recovery.sh: the binary, a scratch directory removed on exit (with the
# node, if still running), and starting the node on loopback with the benchmark configuration.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GRIDBOOK=${GRIDBOOK:-${CARGO_TARGET_DIR:-target}/release/gridbook}
SCRATCH=$(mktemp -d)
DATA=${DATA:-$SCRATCH/node-data}
LOG=$SCRATCH/node.log
NODE=""
# Waits for the node to finish stopping (it drains and writes a last snapshot), so that the next
# run never shares the machine with this one's shutdown.
trap 'kill $NODE 2>/dev/null; wait $NODE 2>/dev/null; rm -rf "$DATA" "$SCRATCH"' EXIT

# start_node AUTH PORT: starts `gridbook serve` on DATA and waits (at most 10 minutes: a
# recovery can take a while) until it listens; NODE is its process id.
# FEEDS=off runs it with the market-data feeds off (to measure what they cost).
start_node() {
  : >"$LOG"
  local config=benches/node/node.toml
  if [ "${FEEDS:-on}" = off ]; then
    config=$SCRATCH/node.toml
    { echo "feeds = false"; cat benches/node/node.toml; } >"$config"
  fi
  "$GRIDBOOK" serve --config "$config" --listen "127.0.0.1:$2" --data "$DATA" \
    --auth "$1" >"$LOG" 2>&1 &
  NODE=$!
  for _ in $(seq 60000); do grep -q listening "$LOG" && return 0; sleep 0.01; done
  echo "the node did not listen within 10 minutes: $(cat "$LOG")" >&2
  exit 1
}
