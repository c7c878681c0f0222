#!/usr/bin/env bash
# System packages the tests need: Debian's chromium and CJK fonts (browser tests), iproute2 (staff
# access), PostgreSQL and nginx (the second store backend and the scale-out topology). Install them when
# we can (root + apt), otherwise stop with the one command that installs them.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# no grep -q: with pipefail its early exit would fail the pipeline on SIGPIPE
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
# the staff-access test's network namespace (a veth pair made with `ip` inside `unshare -rn`)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# the PostgreSQL store tests and the topology test run their own throw-away cluster from these binaries
# (Debian's `postgresql` depends on the current major version; its own cluster is not used or started)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
# the topology test's reverse proxy, started in the foreground with a config of its own
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ ${#need[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages for the tests: ${need[*]}"
  apt-get update -qq
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    # no "main" cluster: the package would otherwise create one and, without systemd, may start a
    # server on port 5432 that nothing here uses
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common >/dev/null
    sed -i 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "The tests need: ${need[*]}. Install them with:  sudo sh -c '$cmd'" >&2
  exit 1
fi
