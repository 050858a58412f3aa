#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Install the Debian 12 packages that building, testing and the demo need,
# when any is missing.  Says what it installs; changes nothing when all are
# there.  Needs root, or sudo.
set -eu

# The compression, ACL and hashing -dev packages carry the static archives
# of libarchive's dependencies, which the updater links to keep its
# resident memory down (updater/CMakeLists.txt).
PKGS="build-essential cmake pkg-config make protobuf-c-compiler
libprotobuf-c-dev libnng-dev libmbedtls-dev libssl-dev libsodium-dev libarchive-dev
libsqlite3-dev sqlite3 libinih-dev libjansson-dev libcmocka-dev openssl
zlib1g-dev libbz2-dev liblzma-dev libzstd-dev liblz4-dev libacl1-dev
nettle-dev clang clang-format-14 libclang-rt-14-dev procps psmisc jq"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps.sh: these packages are missing:$missing" >&2
	echo "deps.sh: run as root or install sudo, then try again" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
