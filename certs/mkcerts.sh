#!/bin/sh
# SPDX-License-Identifier: MIT
#
# usage: certs/mkcerts.sh DIR [NAME ...]
#
# Make a development fleet CA and certificates in DIR:
#   ca.crt ca.key            the fleet CA (ECDSA P-256, 10 years)
#   meta.crt meta.key        meta's server certificate: SAN localhost and
#                            127.0.0.1, EKU serverAuth
#   NAME.crt NAME.key        a client certificate per NAME (EKU clientAuth);
#                            default names: host admin release
# Private keys are mode 0600.  Running it again keeps what exists, so a CA
# stays the CA.  ECDSA P-256, not Ed25519: mbedtls 2.28 (what nng uses on
# Debian 12) cannot parse Ed25519 certificates.  MKCERTS_KEY=rsa makes
# RSA-2048 keys instead, which cost meta less CPU per TLS handshake
# (BENCHMARKS.md, heartbeat_bench).  For development and tests only; a
# real fleet's CA lives offline.
set -eu

usage() {
	echo "usage: mkcerts.sh DIR [NAME ...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
dir=$1
shift
[ $# -gt 0 ] || set -- host admin release
command -v openssl >/dev/null 2>&1 || {
	echo "mkcerts.sh: openssl is not installed (run scripts/deps.sh)" >&2
	exit 1
}

umask 077
mkdir -p "$dir"
cd "$dir"

case "${MKCERTS_KEY:-ec}" in
ec) keyopts="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
rsa) keyopts="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
*) echo "mkcerts.sh: MKCERTS_KEY must be ec or rsa" >&2; exit 2 ;;
esac

newkey() {
	# shellcheck disable=SC2086 # keyopts is several words
	[ -f "$1.key" ] || openssl genpkey $keyopts -out "$1.key" 2>/dev/null
	chmod 600 "$1.key"
}

if [ ! -f ca.crt ]; then
	newkey ca
	openssl req -x509 -new -key ca.key -sha256 -days 3650 \
	    -subj "/O=agent-updater development/CN=agent-updater dev CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out ca.crt 2>/dev/null
fi

# sign NAME CN EXTFILE-CONTENT
sign() {
	[ -f "$1.crt" ] && return 0
	newkey "$1"
	openssl req -new -key "$1.key" -subj "/O=agent-updater development/CN=$2" \
	    -out "$1.csr" 2>/dev/null
	printf '%s\n' "$3" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key \
	    -CAcreateserial -days 825 -sha256 -extfile "$1.ext" \
	    -out "$1.crt" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
	chmod 644 "$1.crt"
}

sign meta localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"

for name in "$@"; do
	case "$name" in
	*/*|.*|"") echo "mkcerts.sh: bad name '$name'" >&2; exit 2 ;;
	esac
	sign "$name" "$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done
chmod 644 ca.crt
