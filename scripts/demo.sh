#!/usr/bin/env bash
# The demo (README's first command, after install-deps): builds tagd and tagctl, generates
# sample data, starts an embedded single-node tagd on a temporary directory and, with tagctl,
# defines the tables, imports the data, estimates several audiences, selects one, exports it,
# validates keys against the export, and stops tagd.  USERS=N changes the size (default 1 M);
# NO_BUILD=1 skips the build and BUILD_DIR=D takes the binaries from D (default build): ctest
# runs the demo small on the binaries it tests.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${USERS:-1000000}
bin=${BUILD_DIR:-build}

[ -n "${NO_BUILD:-}" ] || scripts/build.sh >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/tagd-demo-XXXXXX")
tagd_pid=""
cleanup() {
  if [ -n "$tagd_pid" ] && kill -0 "$tagd_pid" 2>/dev/null; then
    kill -TERM "$tagd_pid"
    wait "$tagd_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "generating $users users of sample data"
"$bin"/bench/tagd_datagen --users "$users" --out "$work/csv" >/dev/null
ls -l "$work/csv" | awk 'NR > 1 { printf "  %-22s %8.1f MB\n", $9, $5 / 1e6 }'

step "starting tagd on $work/data"
"$bin"/node/tagd --data-dir "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" \
  --expected-keys "$users" --log-level warn &
tagd_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "tagd did not start" >&2; exit 1; }
tagctl() { "$bin"/client/tagctl --connect "127.0.0.1:$(cat "$work/port")" "$@"; }
tagctl status

step "defining tables"
tagctl define-table profile --key-column user_id \
  --column city:enum --column age:int --column gender:enum --column vip:bool
tagctl define-table orders --key-column user_id \
  --column 'total_spend:decimal(12,2)' --column order_count:int --column last_order:date
tagctl define-table interests --key-column user_id --column interests:set --column channel:enum
tagctl define-table device_activity --key-column user_id \
  --column os:enum --column app_version:int --column active_days:int

step "importing (over RPC, with progress)"
for table in profile orders interests device_activity; do
  tagctl import "$table" 2026-11-25 "$work/csv/$table.csv"
done

step "estimating"
for expression in \
  "city = 'city_002'" \
  "age BETWEEN 25 AND 34 AND gender = 'f'" \
  "total_spend >= 100.00 AND last_order WITHIN 30 DAYS" \
  "interests HAS ANY ('music', 'travel') AND NOT vip" \
  "city IN ('city_001', 'city_002', 'city_003') AND channel = 'web' AND os = 'ios' AND order_count BETWEEN 2 AND 10"; do
  printf '%-100s ' "$expression"
  tagctl estimate "$expression"
done
tagctl breakdown "vip AND age < 30" gender

step "selecting, exporting, validating"
tagctl select ios_shoppers "os = 'ios' AND total_spend >= 200 AND interests HAS 'travel'"
tagctl export ios_shoppers --out "$work/export"
cat "$work/export/manifest.json"
members=$(cat "$work/export"/part-*.csv | wc -l)
echo "exported members: $members"
# (awk reads every file: `cat | head` fails with SIGPIPE under pipefail when head stops early)
awk 'NR <= 1000' "$work/export"/part-*.csv > "$work/probe-members"
probes=$(wc -l < "$work/probe-members")
tagctl contains-many ios_shoppers "$work/probe-members" > "$work/answers"
not_members=$(grep -vc ',true$' "$work/answers" || true)
echo "validated $probes exported keys: $((probes - not_members)) members, $not_members not (expected 0)"
[ "$not_members" = 0 ]
first=$(head -1 "$work/probe-members")
tagctl contains ios_shoppers "$first"
tagctl groups-of "$first"

step "stopping tagd"
kill -TERM "$tagd_pid"
wait "$tagd_pid"
tagd_pid=""
echo "done"
