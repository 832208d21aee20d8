#!/usr/bin/env bash
# Recovery time per million journaled commands (BENCHMARKS.md, "Live node"): fills a data
# directory with 1,000,000 acknowledged commands through `gridbook load`, stops the node (which
# writes a last snapshot), then times three restarts from process start to the "listening"
# line from that snapshot, and three from the journal alone (snapshots removed).
#
#   benches/node/recovery.sh        (needs `cargo build --release`; GRIDBOOK, DATA may be set)
set -euo pipefail
source "$(dirname "$0")/common.sh"
PORT=${PORT:-18491}
rm -rf "$DATA"
start_node none "$PORT"
"$GRIDBOOK" load --target "http://127.0.0.1:$PORT" --rate 50000 --duration 20 --batch 1000 \
  --connections 8 --auth none --drain-s 60 | grep acknowledged
kill "$NODE"; wait "$NODE" || true
du -sh "$DATA"
# With the snapshot a clean stop writes (plus the journal after it: nothing), then without any.
for snapshots in with without; do
  for run in 1 2 3; do
    [ "$snapshots" = without ] && rm -rf "$DATA/snapshots"
    start=$(date +%s.%N)
    start_node none "$PORT"
    end=$(date +%s.%N)
    echo "restart $run $snapshots snapshot: $(echo "$end - $start" | bc) s to listening, load average $(cut -d' ' -f1 /proc/loadavg), peak RSS $(grep VmHWM /proc/$NODE/status | tr -s ' ' | cut -d' ' -f2-)"
    grep recovered "$LOG"
    curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^gridbook_snapshot_(start_seq|bytes|pause_us|write_us) '
    kill "$NODE"; wait "$NODE" || true
  done
done
ls -l "$DATA/snapshots"
