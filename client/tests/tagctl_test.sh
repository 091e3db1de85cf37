#!/usr/bin/env bash
# tagctl against a fake node: output, exit status (0 ok, 1 error, 2 usage) and "error: CODE".
# usage: tagctl_test.sh TAGCTL FAKE_TAGD
set -uo pipefail
tagctl=$1
fake_tagd=$2
work=$(mktemp -d)
"$fake_tagd" >"$work/address" &
fake=$!
trap 'kill $fake; rm -rf "$work"' EXIT
for _ in $(seq 50); do [[ -s $work/address ]] && break; sleep 0.1; done
address=$(cat "$work/address")
failures=0

# expect STATUS PATTERN COMMAND...: the exit status, and PATTERN in stdout+stderr
expect() {
  local status=$1 pattern=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [[ $got != "$status" ]] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAILED: $* -> status $got (wanted $status), output:"
    echo "$out"
    echo "(wanted /$pattern/)"
    failures=$((failures + 1))
  fi
}

t() { "$tagctl" --connect "$address" "$@"; }

expect 0 '^usage: tagctl' "$tagctl" --help
expect 0 'estimate EXPR' "$tagctl" estimate --help
expect 2 '^usage: tagctl' "$tagctl"
expect 2 "^error: INVALID_ARGUMENT: unknown command 'nope'" "$tagctl" nope
expect 2 '^error: INVALID_ARGUMENT: .*--bogus' t estimate x --bogus
expect 2 '^error: INVALID_ARGUMENT: estimate takes EXPR' t estimate
expect 1 '^error: UNAVAILABLE: cannot connect to 127.0.0.1:1' "$tagctl" -c 127.0.0.1:1 ping
expect 0 '^pong from' t ping
expect 0 '"count": 2' t --json estimate ab
expect 1 '^error: INVALID_EXPRESSION: column 1: expected a tag' t estimate bad
expect 0 'catalog version 2' t define-table profile --column 'city:enum' --column 'spend:decimal(12,2)'
expect 1 "^error: ALREADY_EXISTS: table 'profile' exists" t define-table profile --column a:int
expect 2 "unknown kind 'float'" t define-table other --column a:float

printf 'uid,city,spend\n1,Shanghai,1.50\n2,"multi\nline",2\nbad,x,3\n' >"$work/a.csv"
printf 'uid,city,spend\n3,Beijing,1\n' | gzip >"$work/b.csv.gz"
expect 0 'loaded 3 rows into profile version 2026-11-24' t import profile 2026-11-24 "$work/a.csv" "$work/b.csv.gz"
expect 0 "a.csv:5: the key is 'bad'" t import profile 2026-11-24 "$work/a.csv" "$work/b.csv.gz"
expect 0 'loaded 1 rows into profile version stdin' \
  bash -c "printf 'uid,city,spend\n7,a,1\n' | '$tagctl' -c $address import profile stdin -"
expect 1 '^error: IO_ERROR: cannot open' t import profile x "$work/missing.csv"
expect 1 "^error: NOT_FOUND: no table 'nope'" t import nope x "$work/a.csv"

seq 1 1000 >"$work/keys"
expect 0 'group vip version 1: 1,000 members' t upload vip "$work/keys"
expect 0 'exported group vip version 1: 1,000 keys in 4 files' t export vip --out "$work/out"
expect 0 '"count": 1000' cat "$work/out/manifest.json"
expect 0 '^true$' t contains vip 7
expect 0 '^false$' t contains vip 1001
expect 1 "^error: NOT_FOUND: no group 'nope'" t contains nope 1
printf '5\n2000\n' >"$work/probe"
expect 0 '^5,true' t contains-many vip "$work/probe"
expect 0 '^2000,false' t contains-many vip "$work/probe"
expect 0 '^vip$' t groups-of 9

if ((failures)); then
  echo "$failures tagctl checks failed"
  exit 1
fi
echo "all tagctl checks passed"
