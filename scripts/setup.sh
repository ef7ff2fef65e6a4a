#!/usr/bin/env bash
# Installs what `npm start`, `npm test` and `npm run bench` need, and nothing when it is already there.
# Runs before every one of those commands, so a fresh clone needs no other step. A second run costs a few
# milliseconds: it compares package-lock.json with the copy taken at the last install and looks for two files.
set -euo pipefail
cd "$(dirname "$0")/.."

need_debian=()
# librdkafka1 carries the mock cluster behind the embedded broker; kcat reads the topic back in tests.
ldconfig -p 2>/dev/null | grep -q 'librdkafka\.so\.1 ' || [ -e /usr/lib/x86_64-linux-gnu/librdkafka.so.1 ] || need_debian+=(librdkafka1)
command -v kcat >/dev/null 2>&1 || need_debian+=(kcat)
# redis-server keeps Idempotency-Key records for `npm start` and the tests (DynamoDB's role in AWS).
command -v redis-server >/dev/null 2>&1 || need_debian+=(redis-server)
if [ ${#need_debian[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_debian[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_debian[@]}" >/dev/null
  else
    echo "setup: missing ${need_debian[*]}; install with: sudo apt-get install -y ${need_debian[*]}" >&2
    exit 1
  fi
fi

# npm dependencies, pinned by package-lock.json; reinstalled only when the lock file changed.
stamp=node_modules/.setup-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  # SCARF_ANALYTICS=false: a dev dependency's dependency (@scarf/scarf, under @asyncapi/parser) reports the
  # install to its vendor from a postinstall script unless told not to.
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
