#!/usr/bin/env bash
# Builds the GStreamer webrtcbin interop adapter (interop/gstreamer/client.c)
# into interop/gstreamer/bin/gstreamer-client, from Debian's packages only:
# libgstreamer-plugins-bad1.0-dev (webrtcbin's library), libsoup-3.0-dev (the
# relay's WebSocket), libjson-glib-dev. Warnings are errors. Not part of the
# CMake build: a stack missing here leaves sigtrust's own build untouched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkgs=(gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-webrtc-1.0 libsoup-3.0 json-glib-1.0 gio-2.0)
pkg-config --exists "${pkgs[@]}" || { echo "gstreamer build: missing $(pkg-config --print-errors --exists "${pkgs[@]}" 2>&1 | head -n1)" >&2; exit 1; }
mkdir -p "$here/bin"
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -o "$here/bin/gstreamer-client.tmp" "$here/client.c" \
  $(pkg-config --cflags --libs "${pkgs[@]}")
mv "$here/bin/gstreamer-client.tmp" "$here/bin/gstreamer-client"
