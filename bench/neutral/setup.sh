#!/usr/bin/env bash
# Installs, from Debian's packages, the system tools bench/neutral.ts needs when any is missing:
# nginx (nginx-light) with the headers-more module (the If-Match check, see bench/lib/nginx.ts),
# aria2c, rclone, curl and GNU time. bench/neutral.ts runs it by itself when something is missing.
# Debian starts a system nginx on port 80 when the package is installed; the benchmark never uses
# it, so this blocks service starts during the install (policy-rc.d) when no policy is in place.
set -euo pipefail

need=()
command -v nginx >/dev/null || need+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so ] || need+=(libnginx-mod-http-headers-more-filter)
command -v aria2c >/dev/null || need+=(aria2)
command -v rclone >/dev/null || need+=(rclone)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -eq 0 ]; then
  echo "setup: nginx, headers-more, aria2c, rclone, curl and /usr/bin/time are installed"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
policy=/usr/sbin/policy-rc.d
placed=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  placed=true
fi
cleanup() { if [ "$placed" = true ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

echo "setup: installing ${need[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
