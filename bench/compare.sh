#!/usr/bin/env bash
# Compare `obpm generate` with a peer, openapi-to-postmanv2 (Postman's own
# converter, npm), on the embedded Open Banking document and on a synthetic
# large spec. Prints wall time and peak memory of each, and peer/obpm ratios.
#
#   bench/compare.sh [OPERATIONS]     # default 5000 (about 12 MB of YAML)
#
# Needs go, node/npm and GNU time (/usr/bin/time). The peer is installed once
# into .tools/ (git-ignored) with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
ops=${1:-5000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tools=${OBPM_NODE_MODULES:-$PWD/.tools/node_modules}
peer="$tools/.bin/openapi2postmanv2"
if [ ! -x "$peer" ]; then
  echo "== installing openapi-to-postmanv2 into $(dirname "$tools") (npm)" >&2
  npm install --prefix "$(dirname "$tools")" --no-audit --no-fund --loglevel=error openapi-to-postmanv2@5 >/dev/null
fi
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }

echo "== building obpm; writing a synthetic spec with $ops operations" >&2
go build -o "$work/obpm" ./cmd/obpm
OBPM_SYNTH_OUT="$work/large.yaml" OBPM_SYNTH_OPS="$ops" go test ./generator -run '^TestWriteSynthSpec$' -count=1 >/dev/null

# measure NAME CMD...: prints "seconds peak_MB" (peak resident memory).
measure() {
  local out="$work/time.$RANDOM"
  if ! /usr/bin/time -f '%e %M' -o "$out" "$@" >"$work/log" 2>&1; then
    echo "bench: command failed: $*" >&2
    tail -5 "$work/log" >&2
    echo "NaN NaN"
    return
  fi
  awk '{printf "%.2f %.0f\n", $1, $2/1024}' "$out"
}

printf '%-28s %10s %10s %10s %10s %8s %8s\n' spec obpm_s peer_s obpm_MB peer_MB t_ratio m_ratio
for spec in specs/kftc-openbanking.yaml "$work/large.yaml"; do
  name=$(basename "$spec")
  [ "$spec" = "$work/large.yaml" ] && name="synthetic-$ops-ops.yaml ($(du -m "$spec" | cut -f1) MB)"
  read -r os om < <(measure "$work/obpm" generate --spec "$spec" --out "$work/out-obpm")
  read -r ps pm < <(measure "$peer" -s "$spec" -o "$work/peer.json")
  awk -v n="$name" -v os="$os" -v ps="$ps" -v om="$om" -v pm="$pm" 'BEGIN {
    tr = (os > 0) ? ps / os : 0; mr = (om > 0) ? pm / om : 0
    printf "%-28s %10s %10s %10s %10s %7.1fx %7.1fx\n", n, os, ps, om, pm, tr, mr }'
done
echo "(ratios are peer / obpm: above 1 means obpm is faster or smaller)"
