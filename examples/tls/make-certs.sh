#!/bin/sh
# Makes examples/tls/ca.pem, server.pem and server.key: a test-only CA and a
# server certificate for 127.0.0.1 and localhost signed by it (20 years).
# Needs only Go (no openssl). The keys are public: tests and examples only.
set -eu
cd "$(dirname "$0")"
go run ./gencerts -out .
echo "wrote $(pwd)/ca.pem server.pem server.key"
