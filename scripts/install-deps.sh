#!/usr/bin/env bash
# Installs (as root, with apt-get) what building, testing and demonstrating QtPsk needs on Debian 12.
# Installs nothing when everything is already there.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config git
    qt6-base-dev qt6-base-dev-tools libssl-dev openssl
    # tests
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    # sanitizers (clang runtime), tools, the API reference
    clang libclang-rt-14-dev valgrind doxygen
    # real TLS-PSK peers for the interoperability tests
    gnutls-bin stunnel4 mosquitto mosquitto-clients
    libcoap3-bin # coap-server-openssl, coap-server-gnutls: the DTLS 1.2 PSK CoAP peers
    iproute2 # ss: the interop suite checks that peers listen on loopback only
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything is installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
