#!/usr/bin/env bash
# Programs from Debian's packages that the tests and the benchmark run, installed when missing:
#   bash devstack/packages.sh wrk chromium
# wrk is the benchmark's load generator (a C program: on 2 cores its own CPU matters); chromium
# renders /docs in the browser test. Needs root (or sudo) the first time, like any apt-get.
set -euo pipefail

say() { printf '[packages] %s\n' "$*" >&2; }
die() { printf '[packages] error: %s\n' "$*" >&2; exit 1; }

missing=()
for program in "$@"; do
  command -v "$program" >/dev/null || missing+=("$program")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

apt=(apt-get)
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "${missing[*]} missing; install them as root: apt-get install ${missing[*]}"
  apt=(sudo apt-get)
fi
command -v apt-get >/dev/null || die "${missing[*]} missing and no apt-get here: install them by hand"
say "installing ${missing[*]} from Debian's packages (first run only)"
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq >/dev/null || die "apt-get update failed"
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || die "apt-get install ${missing[*]} failed"
for program in "${missing[@]}"; do
  command -v "$program" >/dev/null || die "$program still missing after apt-get install"
done
