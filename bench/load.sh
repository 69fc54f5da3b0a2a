#!/usr/bin/env bash
# Load-test obpm's hot routes against a bare net/http handler, in one run on
# one machine, and print requests/s ratios and p99:
#   - the daemon's token route   GET /v1/profiles/sb/token?kind=user
#   - the sandbox's balance      GET /v2.0/account/balance/fin_num
#   - the sandbox's withdraw     POST /v2.0/transfer/withdraw/fin_num, in memory and with --state
#   - bare                       a net/http handler returning a constant (120 bytes)
#   - bare-sized                 the same handler returning one answer of the daemon's
#                                token route, byte for byte, with its headers, and sent
#                                an Authorization header as long as the daemon's: the
#                                daemon's ratio is printed against both bare variants
#
#   bench/load.sh [SECONDS] [CONNECTIONS]     # default 5 s, 64 connections, 3 rounds (ROUNDS=n),
#                                             # paced latency runs at RATE=2000 requests/s
#   bench/load.sh --soak N                    # N balance requests; sandbox RSS sampled
#   TARGETS='bare bare-sized daemon-token' bench/load.sh   # only these targets (default: all)
#   OBPM_BASE=/tmp/obpm-main bench/load.sh   # also "daemon-base": a second daemon, from that
#                                             # binary, on the same config and tokens (A/B in one run)
#
# Everything listens on 127.0.0.1 on free ports; each run is bounded in time
# (and in count: at most 2,000,000 requests). The daemon keeps its tokens in a
# throwaway config folder (OBPM_INSECURE_STORAGE: no keyring needed). The
# figures are noisy on a shared machine: compare the ratios, which come from
# the same run, and read the load average printed with them.
set -euo pipefail
cd "$(dirname "$0")/.."
soak=0
if [ "${1:-}" = "--soak" ]; then soak=${2:?--soak N}; shift 2; fi
secs=${1:-5}
conns=${2:-64}
rounds=${ROUNDS:-3}
rate=${RATE:-2000}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building obpm and the load generator" >&2
go build -o "$work/obpm" ./cmd/obpm
go build -o "$work/load" ./bench/load
obpm=$work/obpm load=$work/load

# start NAME CMD...: runs CMD in the background, remembers its pid.
start() { local name=$1; shift; "$@" >"$work/$name.out" 2>"$work/$name.err" & pids+=($!); echo $! >"$work/$name.pid"; }
# waitfor FILE PATTERN: waits (at most 20 s) until FILE holds PATTERN.
waitfor() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "bench: $1 never showed $2" >&2; cat "$1" "${1%.out}.err" >&2 || true; exit 1; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

sbport=$("$load" freeport); dport=$("$load" freeport)
sb=http://127.0.0.1:$sbport helper=http://127.0.0.1:$dport
secret=bench-secret-$RANDOM$RANDOM
export OBPM_CONFIG_DIR=$work/cfg OBPM_INSECURE_STORAGE=1 OBPM_HELPER_URL=$helper

# Seed data whose first account holds more than any run withdraws: each
# withdraw moves 1 won, and a long run makes more than the built-in
# 1,000,000 of them (the rest would answer "insufficient balance").
"$obpm" sandbox --print-data | awk '!done && $1 == "balance:" && $2 == "1000000" { sub(/1000000$/, "100000000000"); done = 1 } { print }' >"$work/seed.yaml"
grep -q 'balance: 100000000000$' "$work/seed.yaml" || { echo "bench: could not raise the seed balance" >&2; exit 1; }

start bare "$load" bare
waitfor "$work/bare.out" listening
bare=$(awk '/listening/ {print $2}' "$work/bare.out")
# The sandbox logs each request at info level to stderr (a file here), as users run it.
start sandbox "$obpm" sandbox --addr "127.0.0.1:$sbport" --client-id obpm-sandbox --client-secret "$secret" \
  --redirect-uri "$helper/callback" --state "$work/state.json" --data "$work/seed.yaml"
waitfor "$work/sandbox.out" listening
# A second sandbox keeps its state in memory only: withdraw without the fsync.
memport=$("$load" freeport); sbmem=http://127.0.0.1:$memport
start sandbox-mem "$obpm" sandbox --addr "127.0.0.1:$memport" --data "$work/seed.yaml"
waitfor "$work/sandbox-mem.out" listening
memtoken=$("$load" sandbox-token -base "$sbmem")
printf '%s' "$secret" | "$obpm" profile add sb --provider sandbox --base-url "$sb" --client-id obpm-sandbox \
  --redirect-uri "$helper/callback" --client-secret-stdin >/dev/null 2>&1
# Nine more profiles, never logged in: the daemon's idle memory is measured with ten.
for i in $(seq 2 10); do
  printf '%s' "$secret" | "$obpm" profile add "p$i" --provider sandbox --base-url "$sb" --client-id obpm-sandbox \
    --redirect-uri "$helper/callback" --client-secret-stdin >/dev/null 2>&1
done
start daemon "$obpm" serve --port "$dport"
for _ in $(seq 100); do curl -fsS "$helper/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
start login "$obpm" login --profile sb --no-browser
waitfor "$work/login.err" 'oauth/2.0/authorize'
"$load" approve "$(grep -ho 'http://[^ ]*oauth/2.0/authorize[^ ]*' "$work/login.out" "$work/login.err" | head -1)" user1
for _ in $(seq 100); do kill -0 "$(cat "$work/login.pid")" 2>/dev/null || break; sleep 0.1; done
key=$("$obpm" env-key 2>/dev/null)
token=$("$obpm" token --profile sb 2>/dev/null)
[ -n "$key" ] && [ -n "$token" ] || { echo "bench: no helper key or token" >&2; cat "$work"/*.err >&2; exit 1; }
# The sized floor: one answer of the daemon, served as a constant.
curl -fsS -H "Authorization: Bearer $key" -D "$work/answer.hdr" -o "$work/answer.json" "$helper/v1/profiles/sb/token?kind=user"
ctype=$(awk -F': *' 'tolower($1) == "content-type" { sub(/\r$/, "", $2); print $2 }' "$work/answer.hdr")
# Its other headers too (net/http writes Date and Content-Length itself).
hdrs=()
while IFS= read -r h; do hdrs+=(-H "$h"); done < <(tr -d '\r' <"$work/answer.hdr" | grep -iv '^\(HTTP/\|date:\|content-length:\|content-type:\|$\)')
start bare-sized "$load" bare -body-file "$work/answer.json" -content-type "${ctype:-application/json}" "${hdrs[@]}"
waitfor "$work/bare-sized.out" listening
baresized=$(awk '/listening/ {print $2}' "$work/bare-sized.out")
# bare-sized is sent a key-shaped Authorization header (not the key: only the daemon gets it).
fakekey=$(printf '%*s' "${#key}" '' | tr ' ' x)
echo "== answers: bare $(awk '/listening/ {print $3}' "$work/bare.out") bytes; daemon and bare-sized $(wc -c <"$work/answer.json") bytes ($ctype; bare-sized also sends: ${hdrs[*]})" >&2
sleep 1
idle_rss=$(rss_mb "$(cat "$work/daemon.pid")")

# obpm token with a warm daemon, end to end (process start included): best of 20.
tok_ms=$(for _ in $(seq 20); do
  s=$(date +%s%N); "$obpm" token --profile sb >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000))
done | sort -n | head -1 | awk '{printf "%.1f", $1/1000}')

# A/B: the same daemon route served by another build, on a copy of the
# config folder (profiles, tokens, key): one daemon runs per config folder.
basepid=0 helperbase=
if [ -n "${OBPM_BASE:-}" ]; then
  bport=$("$load" freeport); helperbase=http://127.0.0.1:$bport
  cp -a "$work/cfg" "$work/cfg-base" && rm -f "$work/cfg-base/daemon.json"
  OBPM_CONFIG_DIR=$work/cfg-base start daemon-base "$OBPM_BASE" serve --port "$bport"
  for _ in $(seq 100); do curl -fsS "$helperbase/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS -H "Authorization: Bearer $key" "$helperbase/v1/profiles/sb/token?kind=user" | grep -q access_token ||
    { echo "bench: daemon-base serves no token" >&2; cat "$work/daemon-base.err" >&2; exit 1; }
  basepid=$(cat "$work/daemon-base.pid")
fi

fin=199000000100000000000001
balance="$sb/v2.0/account/balance/fin_num?bank_tran_id={tran_id}&fintech_use_num=$fin&tran_dtime=20261126101010"
withdraw='{"bank_tran_id":"{tran_id}","cntr_account_type":"N","cntr_account_num":"100000000001","dps_print_content":"bench","fintech_use_num":"'$fin'","wd_print_content":"bench","tran_amt":"1","tran_dtime":"20261126101010","req_client_name":"홍길동","req_client_fintech_use_num":"'$fin'","req_client_num":"BENCH0001","transfer_purpose":"TR","recv_client_name":"bench","recv_client_bank_code":"097","recv_client_account_num":"100000000001"}'

if [ "$soak" -gt 0 ]; then
  sbpid=$(cat "$work/sandbox.pid")
  echo "sandbox RSS before: $(rss_mb "$sbpid") MB" 
  per=$(( soak / 4 ))
  for i in 1 2 3 4; do
    "$load" run -label "balance-soak-$i" -url "$balance" -c "$conns" -d 600s -n "$per" -warmup 0 -H "Authorization: Bearer $token" -expect '"rsp_code":"A0000"'
    echo "sandbox RSS after $((i * per)) requests: $(rss_mb "$sbpid") MB (load $(cut -d' ' -f1-3 /proc/loadavg))"
  done
  exit 0
fi

echo "== $rounds rounds of $secs s per target, $conns connections; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run() { "$load" run -c "$conns" -d "${secs}s" "$@"; }
# runif -label LABEL ...: run, unless $TARGETS is set and does not name LABEL's target.
runif() { [ -z "${TARGETS:-}" ] || [[ " $TARGETS " == *" ${2%@*} "* ]] || return 0; run "$@"; }
barepid=$(cat "$work/bare.pid") sizedpid=$(cat "$work/bare-sized.pid") dpid=$(cat "$work/daemon.pid") sbpid=$(cat "$work/sandbox.pid") sbmempid=$(cat "$work/sandbox-mem.pid")
# The floors and the daemon(s) run back to back in each round, in an order
# that rotates from round to round, so that neither side always goes first
# (or last) as the machine's other load drifts; the summary also gives the
# median over rounds of each round's own ratio.
lineup() {
  case $1 in
    bare) runif -label bare -url "$bare/" -expect access_token -pid "$barepid" ;;
    daemon-token) runif -label daemon-token -url "$helper/v1/profiles/sb/token?kind=user" -H "Authorization: Bearer $key" -expect access_token -pid "$dpid" ;;
    bare-sized) runif -label bare-sized -url "$baresized/" -H "Authorization: Bearer $fakekey" -expect access_token -pid "$sizedpid" ;;
    daemon-base) [ -z "$helperbase" ] || TARGETS=${TARGETS:+$TARGETS daemon-base} runif -label daemon-base -url "$helperbase/v1/profiles/sb/token?kind=user" -H "Authorization: Bearer $key" -expect access_token -pid "$basepid" ;;
  esac
}
order=(bare daemon-token bare-sized daemon-base)
for r in $(seq "$rounds"); do
  for i in 0 1 2 3; do lineup "${order[$(((i + r - 1) % 4))]}"; done
  runif -label sandbox-balance -url "$balance" -H "Authorization: Bearer $token" -expect '"rsp_code":"A0000"' -pid "$sbpid"
  runif -label withdraw-memory -url "$sbmem/v2.0/transfer/withdraw/fin_num" -method POST -body "$withdraw" \
    -H "Authorization: Bearer $memtoken" -H "Content-Type: application/json" -expect '"rsp_code":"A0000"' -pid "$sbmempid"
  runif -label withdraw-state -url "$sb/v2.0/transfer/withdraw/fin_num" -method POST -body "$withdraw" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" -expect '"rsp_code":"A0000"' -pid "$sbpid"
done | tee "$work/results"
# Latency at a fixed load (64 connections sharing $rate requests/s) rather
# than at saturation, where p99 is mostly queueing (64 in flight / rps).
for r in $(seq "$rounds"); do
  runif -label "bare@$rate" -rate "$rate" -url "$bare/" -expect access_token
  runif -label "daemon-token@$rate" -rate "$rate" -url "$helper/v1/profiles/sb/token?kind=user" -H "Authorization: Bearer $key" -expect access_token
  runif -label "bare-sized@$rate" -rate "$rate" -url "$baresized/" -H "Authorization: Bearer $fakekey" -expect access_token
  [ -z "$helperbase" ] || TARGETS=${TARGETS:+$TARGETS daemon-base} runif -label "daemon-base@$rate" -rate "$rate" -url "$helperbase/v1/profiles/sb/token?kind=user" -H "Authorization: Bearer $key" -expect access_token
done | tee "$work/paced"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); sandbox state file $(du -k "$work/state.json" | cut -f1) kB; RSS: sandbox $(rss_mb "$sbpid") MB, in-memory sandbox $(rss_mb "$sbmempid") MB"
# Per target: requests/s summed over the rounds (the same time each) against
# bare's; the worst round's p99; server and client CPU per request, and the
# ratio a CPU-bound run would give, (client+server of bare)/(client+server
# of the target), which the machine's other load disturbs less; and the
# server's CPU alone, bare's / the target's ("x bare srv": the client's
# share, larger for a larger answer, left out). The same three ratios
# against bare-sized ("x sized": a floor answering the daemon's bytes) follow
# for the daemon; the 120-byte figures stay the main columns.
awk -v idle="$idle_rss" -v tok="$tok_ms" '
  { t = $1; n[t]++; for (i = 2; i <= NF; i++) { split($i, kv, "="); x[t, kv[1]] += kv[2]; if (kv[1] == "p99_ms" && kv[2] > p99[t]) p99[t] = kv[2] } }
  function cpu(t) { return (x[t, "server_cpu_us"] + x[t, "client_cpu_us"]) / n[t] }
  function srv(t) { return x[t, "server_cpu_us"] / n[t] }
  END {
    printf "\n%-17s %9s %7s %9s %10s %10s %9s %9s\n", "target", "req/s", "x bare", "p99 ms", "srv us/req", "cli us/req", "x bare cpu", "x bare srv"
    split("bare bare-sized daemon-token daemon-base sandbox-balance withdraw-memory withdraw-state", ts, " ")
    for (i = 1; i <= 7; i++) { t = ts[i]; if (!n[t]) continue
      printf "%-17s %9.0f %7.2f %9s %10.1f %10.1f %9.2f %9.2f\n", t, x[t, "rps"] / n[t], x[t, "rps"] / x["bare", "rps"], p99[t],
        srv(t), x[t, "client_cpu_us"] / n[t], cpu("bare") / cpu(t), srv("bare") / srv(t) }
    if (n["bare-sized"] && n["daemon-token"])
      printf "daemon-token against bare (120 B): x bare %.2f, x bare cpu %.2f, x bare srv %.2f; against bare-sized (same answer): x sized %.2f, x sized cpu %.2f, x sized srv %.2f\n",
        x["daemon-token", "rps"] / x["bare", "rps"], cpu("bare") / cpu("daemon-token"), srv("bare") / srv("daemon-token"),
        x["daemon-token", "rps"] / x["bare-sized", "rps"], cpu("bare-sized") / cpu("daemon-token"), srv("bare-sized") / srv("daemon-token")
    printf "daemon idle RSS with 10 profiles: %s MB; obpm token (warm daemon, best of 20): %s ms\n", idle, tok
    for (i = 1; i <= 7; i++) if (x[ts[i], "errors"] > 0)
      printf "WARNING: %s had %d errors (first one above): its figures count only the answers that passed\n", ts[i], x[ts[i], "errors"]
  }' "$work/results"
# Per round: the daemon's (and daemon-base's) req/s and server CPU per
# request against each floor's in the same round; the median over rounds.
awk '
  { t = $1; k = ++seen[t]; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[t, k, kv[1]] = kv[2] } }
  function median(a, m,   i, j, x) { for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END {
    split("daemon-token daemon-base", ds, " "); split("bare bare-sized daemon-base", fs, " ")
    for (d = 1; d <= 2; d++) for (f = 1; f <= 3; f++) { a = ds[d]; b = fs[f]; if (a == b || !seen[a] || !seen[b]) continue
      m = seen[a] < seen[b] ? seen[a] : seen[b]; rl = ""; cl = ""
      for (k = 1; k <= m; k++) { r[k] = v[a, k, "rps"] / v[b, k, "rps"]; c[k] = v[a, k, "server_cpu_us"] ? v[b, k, "server_cpu_us"] / v[a, k, "server_cpu_us"] : 0
        rl = rl sprintf(" %.2f", r[k]); cl = cl sprintf(" %.2f", c[k]) }
      printf "%s / %s per round: req/s%s (median %.2f); server CPU per request, %s / %s:%s (median %.2f)\n", a, b, rl, median(r, m), b, a, cl, median(c, m) }
  }' "$work/results"
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "p99_ms") p[$1] = p[$1] " " kv[2]; if (kv[1] == "rps") q[$1] = q[$1] " " kv[2] } }
  END { for (t in p) printf "%-20s req/s:%s  p99 ms per round:%s\n", t, q[t], p[t] }' "$work/paced" | sort
