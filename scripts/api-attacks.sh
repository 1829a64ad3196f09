#!/usr/bin/env bash
# scripts/api-attacks.sh IOCD_BINARY PORT: the requests that once stopped iocd (issue 16), each against a
# fresh iocd on 127.0.0.1:PORT with an empty store; prints the HTTP status and whether iocd survived.
# Before the hardening every one of them killed it (132: a trap, 139: a stack overflow).
bin=$(realpath "$1"); port=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; cd "$dir"
printf "storage: {path: ioc.db}\nprobe_files: []\nhttp: {listen: '127.0.0.1:$port'}\n" > iocd.yaml
now=$(date +%s)
attacks=(
 "query=up[1000000000y]" "query=up[1e300]" "query=up offset 9999999999y"
 "query=up&time=1e17" "query=up&time=-9223372036854775"
)
run() {
  $bin --config iocd.yaml > log 2>&1 & pid=$!
  for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$port/-/healthy && break; sleep 0.1; done
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@")
  sleep 0.3
  if kill -0 $pid 2>/dev/null; then alive=up; kill $pid; wait $pid 2>/dev/null; else wait $pid; alive="DIED($?)"; fi
  echo "$code $alive"
}
for a in "${attacks[@]}"; do
  q=${a%%&*}; rest=""; [[ "$a" == *"&"* ]] && rest="&${a#*&}"
  printf '%-45s ' "$a"; run -G --data-urlencode "${q}" "http://127.0.0.1:$port/api/v1/query?x=1$rest"
done
for r in "start=$((now-60))&end=$now&step=1e300" "start=-9e15&end=9e15&step=1e15"; do
  printf '%-45s ' "range $r"; run "http://127.0.0.1:$port/api/v1/query_range?query=up&$r"
done
printf '%-45s ' "series match[]=up[1000000000y]"; run -G --data-urlencode "match[]=up[1000000000y]" "http://127.0.0.1:$port/api/v1/series"
printf '%-45s ' "20000 nested parentheses"; run --data-urlencode "query=$(python3 -c "print('('*20000+'1'+')'*20000)")" "http://127.0.0.1:$port/api/v1/query"
printf '%-45s ' "30000 unary minus"; run --data-urlencode "query=$(python3 -c "print('-'*30000+'1')")" "http://127.0.0.1:$port/api/v1/query"
printf '%-45s ' "8000 nested sum("; run --data-urlencode "query=$(python3 -c "print('sum('*8000+'up'+')'*8000)")" "http://127.0.0.1:$port/api/v1/query"

