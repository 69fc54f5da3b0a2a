#!/usr/bin/env bash
# Before/after for the sandbox: two obpm binaries (e.g. built from main and
# from a branch), each running `obpm sandbox --state`, load-tested in
# interleaved rounds with a bare handler: balance and withdraw requests/s,
# p99 and server CPU per request, and RSS.
#
#   bench/sandbox-ab.sh OLD_OBPM NEW_OBPM [SECONDS] [ROUNDS]
#   MEMORY=1 bench/sandbox-ab.sh ...   # both sandboxes in memory (no --state): withdraw-memory
#
# Build an old binary with: git worktree add /tmp/old main && (cd /tmp/old && go build -o /tmp/obpm-old ./cmd/obpm)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?OLD_OBPM} new=${2:?NEW_OBPM} secs=${3:-5} rounds=${4:-2}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/load" ./bench/load
L=$work/load
"$L" bare >"$work/bare.out" 2>&1 & bp=$!; pids+=($bp)
po=$("$L" freeport) pn=$("$L" freeport)
kind=state olds=(--state "$work/old.json") news=(--state "$work/new.json")
if [ "${MEMORY:-}" = 1 ]; then kind=memory olds=() news=(); fi
"$old" sandbox --addr "127.0.0.1:$po" "${olds[@]}" >"$work/old.out" 2>"$work/old.err" & so=$!; pids+=($so)
"$new" sandbox --addr "127.0.0.1:$pn" "${news[@]}" >"$work/new.out" 2>"$work/new.err" & sn=$!; pids+=($sn)
for f in bare old new; do for _ in $(seq 100); do grep -q listening "$work/$f.out" 2>/dev/null && break; sleep 0.1; done; done
bare=$(awk '/listening/ {print $2}' "$work/bare.out")
to=$("$L" sandbox-token -base "http://127.0.0.1:$po") tn=$("$L" sandbox-token -base "http://127.0.0.1:$pn")
fin=199000000100000000000001
body='{"bank_tran_id":"{tran_id}","cntr_account_type":"N","cntr_account_num":"100000000001","dps_print_content":"bench","fintech_use_num":"'$fin'","wd_print_content":"bench","tran_amt":"1","tran_dtime":"20261126101010","req_client_name":"홍길동","req_client_fintech_use_num":"'$fin'","req_client_num":"BENCH0001","transfer_purpose":"TR","recv_client_name":"bench","recv_client_bank_code":"097","recv_client_account_num":"100000000001"}'
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); RSS at start: old $(rss $so) MB, new $(rss $sn) MB"
for _ in $(seq "$rounds"); do
  "$L" run -label bare -d "${secs}s" -url "$bare/" -pid "$bp"
  for side in old new; do
    if [ $side = old ]; then p=$po t=$to pid=$so; else p=$pn t=$tn pid=$sn; fi
    "$L" run -label "balance-$side" -d "${secs}s" -H "Authorization: Bearer $t" -expect A0000 -pid "$pid" \
      -url "http://127.0.0.1:$p/v2.0/account/balance/fin_num?bank_tran_id={tran_id}&fintech_use_num=$fin&tran_dtime=20261126101010"
    "$L" run -label "withdraw-$kind-$side" -d "${secs}s" -method POST -body "$body" -H "Authorization: Bearer $t" \
      -H "Content-Type: application/json" -expect A0000 -pid "$pid" -url "http://127.0.0.1:$p/v2.0/transfer/withdraw/fin_num"
  done
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); RSS at end: old $(rss $so) MB, new $(rss $sn) MB; state files: old $(du -k "$work/old.json" 2>/dev/null | cut -f1) kB, new $(du -k "$work/new.json" 2>/dev/null | cut -f1) kB"
