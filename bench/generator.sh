#!/usr/bin/env bash
# The generator against its floor and its peer, in one run (bench/RESULTS.md,
# "Generator"): on the synthetic spec of each OPERATIONS, as YAML and as JSON,
#   - floor-node: parsing the file once into a yaml.Node tree (bench/floor);
#   - floor-json: decoding it once with encoding/json into an any (-json);
#   - obpm: `obpm generate` (the whole CLI);
#   - convertV2: openapi-to-postmanv2's convertV2 (bench/convertv2.js).
# Prints wall seconds, CPU seconds (user+sys), peak resident MB of each, and
# the ratios: obpm/floor (time: target <= 2) and convertV2/obpm (target >= 10
# for time, >= 2 for memory). Each command runs RUNS times (default 1); the
# fastest run is kept. The machine's load average is printed before and after.
#
#   RUNS=3 bench/generator.sh [OPERATIONS...]     # default: 1000 5000
#
# Needs go, node, GNU time, and openapi-to-postmanv2 and js-yaml in
# $OBPM_NODE_MODULES (bench/compare.sh installs them into .tools/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 1000 5000
runs=${RUNS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tools=${OBPM_NODE_MODULES:-$PWD/.tools/node_modules}
for m in openapi-to-postmanv2 js-yaml; do
  [ -d "$tools/$m" ] || { echo "bench: $m not in $tools; run bench/compare.sh once or set OBPM_NODE_MODULES" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }

go build -o "$work/obpm" ./cmd/obpm
go build -o "$work/floor" ./bench/floor
for ops in "$@"; do
  OBPM_SYNTH_OUT="$work/synth-$ops.yaml" OBPM_SYNTH_OPS="$ops" go test ./generator -run '^TestWriteSynthSpec$' -count=1 >/dev/null
  "$tools/.bin/js-yaml" "$work/synth-$ops.yaml" >"$work/synth-$ops.json"
done

# measure CMD...: "wall cpu peakMB" of the fastest of $runs runs, or "NaN NaN NaN".
measure() {
  local best="NaN NaN NaN" i
  for ((i = 0; i < runs; i++)); do
    local t0=$EPOCHREALTIME t1
    if ! /usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >"$work/log" 2>&1; then
      echo "bench: failed: $*" >&2
      tail -3 "$work/log" >&2
      echo "NaN NaN NaN"
      return
    fi
    local r
    t1=$EPOCHREALTIME
    # Wall time from bash's clock in microseconds (time's %e has only two
    # decimals, too coarse for the 1,000-op files); it includes starting
    # GNU time, the same ~1 ms for every tool.
    r=$(awk -v w="$t0 $t1" '{split(w, W, " "); printf "%.3f %.2f %.0f", W[2] - W[1], $2 + $3, $4 / 1024}' "$work/t")
    if [ "$best" = "NaN NaN NaN" ] || awk -v a="$r" -v b="$best" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] < y[1]) }'; then
      best=$r
    fi
  done
  echo "$best"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
printf '%-16s %-10s %7s %7s %7s\n' spec tool wall_s cpu_s peak_MB
declare -A R
for ops in "$@"; do
  for ext in yaml json; do
    spec="$work/synth-$ops.$ext"
    R[node]=$(measure "$work/floor" "$spec")
    R[json]="NaN NaN NaN"
    [ $ext = json ] && R[json]=$(measure "$work/floor" -json "$spec")
    R[obpm]=$(measure "$work/obpm" generate --spec "$spec" --out "$work/out")
    R[peer]=$(NODE_PATH="$tools" measure node bench/convertv2.js "$spec" "$work/peer.json")
    for t in node json obpm peer; do
      [ "${R[$t]}" = "NaN NaN NaN" ] && [ $t = json ] && continue
      name=$t
      case $t in node) name=floor-node ;; json) name=floor-json ;; peer) name=convertV2 ;; esac
      printf '%-16s %-10s %7s %7s %7s\n' "$ops-ops.$ext" "$name" ${R[$t]}
    done
    awk -v o="${R[obpm]}" -v n="${R[node]}" -v j="${R[json]}" -v p="${R[peer]}" '
      function r(a, b) { return (a == "NaN" || b == "NaN" || b + 0 == 0) ? "-" : sprintf("%.2fx", a / b) }
      BEGIN {
      split(o, O, " "); split(n, N, " "); split(j, J, " "); split(p, P, " ")
      printf "  obpm/floor-node: wall %s cpu %s | obpm/floor-json: wall %s cpu %s\n", r(O[1], N[1]), r(O[2], N[2]), r(O[1], J[1]), r(O[2], J[2])
      printf "  convertV2/obpm:  wall %s cpu %s peak memory %s\n", r(P[1], O[1]), r(P[2], O[2]), r(P[3], O[3]) }'
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
