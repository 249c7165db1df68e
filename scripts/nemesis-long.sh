#!/usr/bin/env bash
# The long fault campaign: N seeds of the nemesis, one after the other, then a summary.
#   scripts/nemesis-long.sh [FIRST_SEED] [SEEDS] [DURATION] [extra nemesis options…]
#   e.g. scripts/nemesis-long.sh 1 50 60s --process-per-broker
# Reports go to ${NEMESIS_OUT:-nemesis-results}/seed-N.json (and .txt); exits 1 if any seed
# had a violation. Run `npm run build` first. Niced: it shares the machine.
set -u
first=${1:-1}
count=${2:-10}
duration=${3:-60s}
shift $(( $# < 3 ? $# : 3 ))
out=${NEMESIS_OUT:-nemesis-results}
mkdir -p "$out"
here=$(cd "$(dirname "$0")/.." && pwd)
failed=0
for ((seed = first; seed < first + count; seed++)); do
  nice -n 10 node "$here/bin/minikafka.js" nemesis --seed "$seed" --duration "$duration" --json "$out/seed-$seed.json" "$@" >"$out/seed-$seed.txt" 2>"$out/seed-$seed.err"
  rc=$?
  [ $rc -ne 0 ] && failed=1
  echo "seed $seed: exit $rc ($(grep -E 'result:' "$out/seed-$seed.txt" | tr -s ' '))"
done
node -e '
const fs = require("fs");
const dir = process.argv[1];
const files = fs.readdirSync(dir).filter((f) => /^seed-\d+\.json$/.test(f));
let acked = 0, sent = 0, events = 0, faults = 0, violations = 0, anomalies = 0, lost1 = 0, seeds = 0, secs = 0;
const bad = [];
for (const f of files) {
  const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"));
  seeds++; secs += r.durationMs / 1000;
  acked += r.check.stats.acked; sent += r.check.stats.sent; lost1 += r.check.stats.lostAtAcks1;
  events += r.events.filter((e) => e.outcome === "applied").length;
  faults += r.events.filter((e) => e.outcome === "applied" && e.action === "begin").length;
  violations += r.check.violations.length; anomalies += r.check.clientAnomalies.length;
  if (r.check.violations.length) bad.push(r.seed);
}
console.log(`summary: ${seeds} seeds, ${secs} s of faults, ${sent} records sent, ${acked} acknowledged, ${faults} faults injected (${events} begin/end events applied), ${violations} violations${bad.length ? ` (seeds ${bad.join(",")})` : ""}, ${anomalies} client-side anomalies, ${lost1} lost at acks=1`);
' "$out"
exit $failed
