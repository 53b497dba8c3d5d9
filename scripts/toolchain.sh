#!/bin/sh
# Runs a project command with Node.js 22+ and the project's dependencies installed,
# on any machine: where the machine's node is older, Node 24 from the npm registry's
# `node` package is installed into .toolchain/ (project-local, never global).
#
#   sh scripts/toolchain.sh stack <start|test|up|down|status|migrate> [args]
#       builds every workspace (cached by turbo), then runs the stack tool (infra/src/stack.ts)
#   sh scripts/toolchain.sh <bin> [args]
#       runs a command from node_modules/.bin, such as turbo or biome
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

pinned_node=24.21.0
minimum_major=22

node_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

system_node=$(command -v node || true)
if [ -z "$system_node" ] || [ "$(node_major "$system_node")" -lt "$minimum_major" ]; then
  toolchain="$root/.toolchain"
  if [ ! -x "$toolchain/node_modules/.bin/node" ] || [ "$(node_major "$toolchain/node_modules/.bin/node")" -lt "$minimum_major" ]; then
    echo "toolchain: the machine's node is $("${system_node:-node}" -v 2>/dev/null || echo 'missing'); installing Node $pinned_node into .toolchain/" >&2
    mkdir -p "$toolchain"
    [ -f "$toolchain/package.json" ] || echo '{ "name": "exactly-toolchain", "private": true }' >"$toolchain/package.json"
    npm install --prefix "$toolchain" --no-audit --no-fund --loglevel=error "node@$pinned_node" >&2
  fi
  PATH="$toolchain/node_modules/.bin:$PATH"
  export PATH
fi

# npm writes node_modules/.package-lock.json; a newer package-lock.json means the installed
# tree is stale (a pull changed dependencies). `npm ci` installs exactly the committed lock and
# never rewrites it, so a fresh clone stays clean. The lock holds every platform's optional
# binaries (biome, swc, turbo, esbuild): after adding a dependency, commit the lock npm wrote.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "toolchain: installing dependencies (node $(node -v))" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

PATH="$root/node_modules/.bin:$PATH"
export PATH

if [ "${1:-}" = "stack" ]; then
  shift
  turbo run build --output-logs=errors-only >&2
  exec node --disable-warning=TimeoutNegativeWarning infra/dist/stack.js "$@"
fi

exec "$@"
