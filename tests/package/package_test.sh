#!/usr/bin/env bash
# CTest `package`: builds the .deb with CPack from BUILD_DIR, checks that its
# dependencies were computed (dpkg-shlibdeps) and resolve on this machine
# (apt-get, simulated), unpacks it into a fresh root and runs the sigtrust
# found there, from a directory outside the source and build trees, on its
# installed catalogue only: --version, doctor, list scenarios, one catalogue
# scenario, one matrix cell; then the man page and the bash completion.
# usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail
build_dir=$1
version=$2
work=$(mktemp -d /tmp/sigtrust-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build_dir" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/sigtrust_"$version"_*.deb) || fail "no sigtrust_${version}_*.deb in $(ls "$work/out")"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# Dependencies: coturn by hand, the libraries from dpkg-shlibdeps.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
names=$(tr ',|' '\n\n' <<<"$depends" | awk '{print $1}')
for pkg in coturn libnice10 libgnutls30 libsoup-3.0-0 libpcap0.8 libyaml-cpp0.7 libboost-program-options1.74.0 libglib2.0-0 libc6 libstdc++6; do
  grep -qxF "$pkg" <<<"$names" || fail "Depends lacks $pkg"
done
# `apt-get install ./sigtrust_*.deb` resolves every dependency here (simulated: nothing changes).
apt-get install --simulate -qq "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get cannot install the package"; }
grep -q "^Inst sigtrust " "$work/apt.log" || { cat "$work/apt.log"; fail "apt-get would not install sigtrust"; }

# A fresh root holding only the package's files.
dpkg-deb -x "$deb" "$work/root"
root=$work/root
for f in usr/bin/sigtrust usr/share/sigtrust/scenarios/honest.yaml usr/share/sigtrust/scenarios/matrix/expected.yaml \
         usr/share/man/man1/sigtrust.1.gz usr/share/bash-completion/completions/sigtrust \
         usr/share/doc/sigtrust/README.md usr/share/doc/sigtrust/ci.md usr/share/doc/sigtrust/examples/ci/github-actions.yml; do
  [[ -f $root/$f ]] || fail "the package has no /$f"
done
sigtrust=$root/usr/bin/sigtrust
cd "$work"
unset SIGTRUST_SCENARIOS

[[ $("$sigtrust" --version) == "sigtrust $version" ]] || fail "--version says '$("$sigtrust" --version)'"
catalogue=$("$sigtrust" doctor --no-isolate | sed -n 's/^.*scenario catalogue: //p')
[[ $catalogue == "$root/usr/share/sigtrust/scenarios" ]] || fail "the installed sigtrust reads the catalogue '$catalogue'"

"$sigtrust" list scenarios >list.txt
installed=$(ls "$root"/usr/share/sigtrust/scenarios/*.yaml | wc -l)
[[ $(grep -cE '^[a-z0-9-]+ ' list.txt) == "$installed" ]] || { cat list.txt; fail "list scenarios does not list the $installed installed files"; }
grep -q '^honest .*none' list.txt || { cat list.txt; fail "list scenarios lacks honest"; }
grep -q invalid list.txt && { cat list.txt; fail "an installed scenario is invalid"; }

"$sigtrust" run "$root/usr/share/sigtrust/scenarios/swap-mitm.yaml" --json run.json -q || fail "the catalogue's swap-mitm.yaml (exit $?)"
grep -q '"outcome": *"mitm-undetected"' run.json || fail "swap-mitm.yaml: no mitm-undetected in run.json"

# The matrix reads the installed expectations.
"$sigtrust" matrix --attacks swap-mitm --trust sas --json matrix.json -q || fail "matrix swap-mitm × sas (exit $?)"
grep -q "\"file\": *\"$root/usr/share/sigtrust/scenarios/matrix/expected.yaml\"" matrix.json ||
  fail "the matrix was not checked against the installed expected.yaml"

# sigtrust(1) renders without warnings and names every command.
MANWIDTH=100 man --warnings -l "$root/usr/share/man/man1/sigtrust.1.gz" >man.txt 2>man.err || fail "man"
[[ ! -s man.err ]] || { cat man.err; fail "man page warnings"; }
for c in "sigtrust run" "sigtrust matrix" "sigtrust report merge" "sigtrust relay" "sigtrust list" "--shard"; do
  grep -q -- "$c" man.txt || fail "the man page does not mention $c"
done

# The bash completion completes commands and, from the installed binary, names.
completion=$(bash -c '
  source "$1"
  COMP_WORDS=("$2" ma); COMP_CWORD=1; _sigtrust; echo "${COMPREPLY[*]}"
  COMP_WORDS=("$2" matrix --attacks swap-mitm,stri); COMP_CWORD=3; _sigtrust; echo "${COMPREPLY[*]}"
  COMP_WORDS=("$2" report merge --re); COMP_CWORD=3; _sigtrust; echo "${COMPREPLY[*]}"
' _ "$root/usr/share/bash-completion/completions/sigtrust" "$sigtrust")
[[ $completion == $'matrix\nswap-mitm,strip-mitm\n--report-dir' ]] || fail "bash completion gave: $completion"

echo "package test: 1 passed, 0 failed"
