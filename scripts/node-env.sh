# shellcheck shell=bash
# Source it (don't run it): puts a supported Node first on PATH for this shell and its children.
# The machine's node when its major is at least the one pinned in .nvmrc; otherwise the pinned Node,
# fetched once from the npm registry (package node-linux-<arch>, which ships the official binary)
# into .tools/node/ (gitignored). Re-fetched when .nvmrc names another version.
_node_env_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_env_pin="$(tr -d ' \t\r\nv' <"$_node_env_root/.nvmrc")"
_node_env_dir="$_node_env_root/.tools/node"

_node_env_fetch() {
  local arch tmp tarball
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node-env: no node-linux package for $(uname -m); install Node $_node_env_pin yourself" >&2; return 1 ;;
  esac
  command -v npm >/dev/null || { echo "node-env: npm is needed to fetch Node $_node_env_pin" >&2; return 1; }
  echo "==> fetching Node $_node_env_pin from the npm registry (node-linux-$arch) into .tools/node"
  mkdir -p "$_node_env_root/.tools"
  tmp="$(mktemp -d "$_node_env_root/.tools/fetch.XXXXXX")"
  # npm pack checks the tarball against the registry's integrity hash.
  if ! tarball="$(cd "$tmp" && npm pack "node-linux-$arch@$_node_env_pin" --silent --no-audit --no-fund)" ||
    ! tar -xzf "$tmp/$tarball" -C "$tmp" ||
    [[ "$("$tmp/package/bin/node" --version)" != "v$_node_env_pin" ]]; then
    echo "node-env: could not fetch Node $_node_env_pin (npm pack node-linux-$arch@$_node_env_pin)" >&2
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$_node_env_dir"
  mv "$tmp/package" "$_node_env_dir" # one rename: a half-extracted Node never sits at .tools/node
  rm -rf "$tmp"
}

_node_env_use_pinned() {
  PATH="$_node_env_dir/bin:$PATH"
  # node-gyp (the odbc addon) builds against this Node's own headers, which the package ships: none downloaded.
  npm_config_nodedir="$_node_env_dir"
  export PATH npm_config_nodedir
}

if [[ -x "$_node_env_dir/bin/node" && "$("$_node_env_dir/bin/node" --version)" == "v$_node_env_pin" ]]; then
  _node_env_use_pinned
elif _node_env_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" && ((_node_env_major >= ${_node_env_pin%%.*})); then
  : # the machine's node is new enough
elif _node_env_fetch; then
  _node_env_use_pinned
else
  return 1 2>/dev/null || exit 1
fi
unset -f _node_env_fetch _node_env_use_pinned
unset _node_env_root _node_env_pin _node_env_dir _node_env_major
