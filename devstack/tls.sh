#!/usr/bin/env bash
# Test certificates for the TLS listeners: a local CA, a server certificate for
# localhost/127.0.0.1 signed by it, and a second, unrelated CA (to prove untrusted = refused).
#   devstack/tls.sh   -> .local/tls/{ca.crt,server.crt,server.key,server.pem,other-ca.crt}
source "$(dirname "$0")/common.sh"

TLS="$LOCAL/tls"
[[ -f "$TLS/server.pem" && -f "$TLS/other-ca.crt" ]] && exit 0
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
mkdir -p "$TLS"
cd "$TLS"

make_ca() {  # make_ca NAME SUBJECT
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.crt" 2>/dev/null
}

make_ca ca "timestamp-cqrs devstack CA"
make_ca other-ca "an unrelated CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
  -extfile server.ext -out server.crt 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8.key
cat server.pk8.key server.crt >server.pem   # Kafka's PEM keystore: key, then certificate
rm -f server.csr server.ext ca.srl other-ca.key
say "TLS certificates in $TLS (CA: ca.crt)"
