#!/usr/bin/env bash
# Builds the pion interop adapter (interop/pion/client.go) into
# interop/pion/bin/pion-client, offline, from Debian's Go sources only:
# golang-go and golang-github-pion-webrtc.v3-dev (with its dependencies) and
# golang-github-gorilla-websocket-dev, under /usr/share/gocode/src. No module
# proxy, no download: GO111MODULE=off GOPROXY=off.
#
# GOPATH mode does not resolve semantic import versions ("…/webrtc/v3"), and
# Debian ships module github.com/pion/webrtc/v3 in …/pion/webrtc, without a v3/
# directory. So the build uses a private GOPATH of symlinks to
# /usr/share/gocode/src that adds each such alias, read from the module line
# of each package's go.mod (e.g. github.com/pion/webrtc/v3 → pion/webrtc).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src=/usr/share/gocode/src
[[ -d $src/github.com/pion/webrtc ]] || { echo "pion build: $src/github.com/pion/webrtc missing (golang-github-pion-webrtc.v3-dev)" >&2; exit 1; }
command -v go >/dev/null || { echo "pion build: no go (golang-go)" >&2; exit 1; }

gopath="$here/.gopath"
rm -rf "$gopath"
mkdir -p "$gopath/src"

# Module directory → module path, where they differ ("github.com/pion/webrtc github.com/pion/webrtc/v3").
aliases=()
while IFS= read -r mod; do
  dir="${mod#"$src"/}"; dir="${dir%/go.mod}"
  path="$(sed -n 's/^module[[:space:]]\+"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*/\1/p' "$mod" | head -n1)"
  [[ -n $path && $path != "$dir" ]] && aliases+=("$dir $path")
done < <(find "$src" -name go.mod -not -path '*/testdata/*')

# A path must be a real directory (not a symlink into $src) if an alias goes inside it.
holds_alias() {
  local rel=$1 a
  for a in "${aliases[@]}"; do [[ ${a#* }/ == "$rel"/* ]] && return 0; done
  return 1
}
mirror() {  # mirror REL: $gopath/src/REL mirrors $src/REL
  local rel=$1 child
  for child in "$src${rel:+/$rel}"/*; do
    child="${rel:+$rel/}${child##*/}"
    if [[ -d $src/$child ]] && holds_alias "$child"; then
      mkdir -p "$gopath/src/$child"
      mirror "$child"
    else
      ln -s "$src/$child" "$gopath/src/$child"
    fi
  done
}
mirror ""
for a in "${aliases[@]}"; do
  dir=${a% *} path=${a#* }
  [[ -e $gopath/src/$path ]] || { mkdir -p "$(dirname "$gopath/src/$path")"; ln -s "$src/$dir" "$gopath/src/$path"; }
done

# The adapter itself, as a GOPATH package.
mkdir -p "$gopath/src/sigtrust/interop/pion"
ln -s "$here/client.go" "$gopath/src/sigtrust/interop/pion/client.go"

version="$(dpkg-query -W -f='${Version}' golang-github-pion-webrtc.v3-dev 2>/dev/null || echo unknown)"
version="${version%-*}"  # the upstream version: 3.1.56-2 → 3.1.56
mkdir -p "$here/bin"
(cd "$gopath/src/sigtrust/interop/pion" &&
  GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$gopath" GOCACHE="$here/.gocache" \
    go build -o "$here/bin/pion-client" -ldflags "-X main.stackVersion=$version" .)
rm -rf "$gopath"
