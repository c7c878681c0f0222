#!/usr/bin/env bash
# The browser tests need Debian's chromium and CJK fonts. Install them when we can (root + apt),
# otherwise stop with the one command that installs them.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# no grep -q: with pipefail its early exit would fail the pipeline on SIGPIPE
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
# the staff-access test's network namespace (a veth pair made with `ip` inside `unshare -rn`)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ ${#need[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages for the browser tests: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "The browser tests need: ${need[*]}. Install them with:  sudo sh -c '$cmd'" >&2
  exit 1
fi
