#!/usr/bin/env bash
# probe.sh URL CACERT MAX_SECONDS STOPFILE [ADDRESS]: requests URL (through
# --resolve to ADDRESS, default the VRRP VIP 198.18.0.10) one after another, 50 ms apart, until STOPFILE
# exists or MAX_SECONDS pass (bounded: at most 20 requests a second).
# Prints one line per request: "END_MS HTTP_CODE SERVER" (code 000 = failed).
# Run it in the client's namespace.
set -u
url=$1 cacert=$2 max=$3 stop=$4 address=${5:-198.18.0.10}
end=$((SECONDS + max))
while [ $SECONDS -lt "$end" ] && [ ! -e "$stop" ]; do
  body=$(curl -s --cacert "$cacert" --resolve "www.foobar.com:443:$address" \
    --connect-timeout 0.5 --max-time 1 -w '\n%{http_code}' "$url")
  code=${body##*$'\n'}
  server=$(grep -o 'id="server">[^<]*' <<<"$body" | cut -d'>' -f2)
  echo "$(date +%s%3N) ${code:-000} ${server:--}"
  sleep 0.05
done
