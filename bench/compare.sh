#!/usr/bin/env bash
# Compare `obpm generate` with its peers on the same files in one run:
#   - openapi-to-postmanv2 (Postman's own converter, npm), its convertV2
#     (the CLI's default) and its older convert (`-i v1`);
#   - Portman (npm @apideck/portman, with tslib), which adds contract tests.
# Inputs: the embedded Open Banking document, and the synthetic spec of
# OPERATIONS operations as YAML and as JSON (the same document).
# Prints wall time and peak resident memory of each (GNU time), and the
# peer/obpm ratios (above 1: obpm is faster or smaller).
#
#   bench/compare.sh [OPERATIONS...]     # default: 1000 5000
#
# Needs go, node/npm and GNU time (/usr/bin/time: apt-get install time). The
# peers are installed once into .tools/ (git-ignored) with npm, or taken from
# $OBPM_NODE_MODULES when it has them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 1000 5000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tools=${OBPM_NODE_MODULES:-$PWD/.tools/node_modules}
if [ ! -x "$tools/.bin/openapi2postmanv2" ] || [ ! -x "$tools/.bin/portman" ] || [ ! -d "$tools/tslib" ] || [ ! -x "$tools/.bin/js-yaml" ]; then
  tools=$PWD/.tools/node_modules
  echo "== installing the peers into .tools (npm)" >&2
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --loglevel=error \
    openapi-to-postmanv2@6.3.3 @apideck/portman@1 tslib@2 js-yaml@4 >/dev/null
fi
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }

echo "== building obpm; writing the synthetic specs ($*)" >&2
go build -o "$work/obpm" ./cmd/obpm
specs=("$PWD/specs/kftc-openbanking.yaml")
for ops in "$@"; do
  OBPM_SYNTH_OUT="$work/synth-$ops.yaml" OBPM_SYNTH_OPS="$ops" go test ./generator -run '^TestWriteSynthSpec$' -count=1 >/dev/null
  "$tools/.bin/js-yaml" "$work/synth-$ops.yaml" >"$work/synth-$ops.json"
  specs+=("$work/synth-$ops.yaml" "$work/synth-$ops.json")
done

# measure OUTPUT CMD...: prints "seconds peak_MB", or "NaN NaN" when the
# command fails or writes no OUTPUT (openapi2postmanv2 exits 0 on failure).
measure() {
  local want=$1 out="$work/time.$RANDOM"
  shift
  rm -rf "$want"
  if ! (cd "$work" && /usr/bin/time -f '%e %M' -o "$out" "$@" >"$work/log" 2>&1) || [ -z "$(ls -A "$want" 2>/dev/null)" ]; then
    echo "bench: failed or wrote nothing: $*" >&2
    tail -3 "$work/log" >&2
    echo "NaN NaN"
    return
  fi
  awk '{printf "%.2f %.0f\n", $1, $2/1024}' "$out"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-30s %-10s %8s %8s %8s %8s\n' spec tool seconds peak_MB x_time x_mem
for spec in "${specs[@]}"; do
  name=$(basename "$spec")
  case $spec in "$work"/*) name="$name ($(du -m "$spec" | cut -f1) MB)" ;; esac
  read -r os om < <(measure "$work/out-obpm" "$work/obpm" generate --spec "$spec" --out "$work/out-obpm")
  printf '%-30s %-10s %8s %8s %8s %8s\n' "$name" obpm "$os" "$om" 1.0 1.0
  for peer in convertV2 convert portman; do
    case $peer in
      convertV2) read -r ps pm < <(measure "$work/peer.json" "$tools/.bin/openapi2postmanv2" -s "$spec" -o "$work/peer.json") ;;
      convert) read -r ps pm < <(measure "$work/peer.json" "$tools/.bin/openapi2postmanv2" -i v1 -s "$spec" -o "$work/peer.json") ;;
      portman) read -r ps pm < <(measure "$work/peer.json" env NODE_PATH="$tools" "$tools/.bin/portman" -l "$spec" -o "$work/peer.json" --includeTests true) ;;
    esac
    awk -v n="$name" -v t="$peer" -v os="$os" -v ps="$ps" -v om="$om" -v pm="$pm" 'BEGIN {
      ok = (os != "NaN" && ps != "NaN" && os > 0 && om > 0)
      tr = ok ? sprintf("%.1f", ps / os) : "-"; mr = ok ? sprintf("%.1f", pm / om) : "-"
      printf "%-30s %-10s %8s %8s %8s %8s\n", n, t, ps, pm, tr, mr }'
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(x_time, x_mem: peer / obpm; above 1 means obpm is faster or smaller)"
