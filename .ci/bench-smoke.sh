#!/usr/bin/env bash
# Bench smoke for CI: `npm run bench` once, at small sizes, with no app settings, so a broken benchmark fails
# the run. Figures and targets are printed, never judged: BENCH_STRICT stays unset, and a slow or busy
# machine cannot fail CI. The bench itself exits 1 only when it breaks (an exception, a figure that is not
# a number) and must write bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf bench-results
env -u BENCH_STRICT -u BENCH_ONLY \
  BENCH_REPEATS=1 BENCH_WINDOW_EVENTS=2000 BENCH_BACKLOG_EVENTS=20000 \
  BENCH_LATENCY_EVENTS=3 BENCH_LATENCY_INTERVAL_MS=1000 BENCH_COLD_RUNS=1 BENCH_PACED_GROUPS=8 \
  BENCH_RULE_EVENTS=10000 BENCH_RULE_ENGINE_EVENTS=200 BENCH_ONCALL_PACED=5 BENCH_ONCALL_LATER=1 \
  BENCH_TENANTS=40 BENCH_TENANT_LATENCY_MS=150 BENCH_TENANT_REPEATS=1 \
  npm run bench
for f in bench-results/bench.md bench-results/bench.json; do
  [ -s "$f" ] || { echo "bench smoke: $f was not written" >&2; exit 1; }
done
echo "bench smoke: completed, bench-results/ written"
