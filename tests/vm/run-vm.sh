#!/bin/sh
# Boot a test in a VM and print TAP; see tests/vm/README.md and --help.
exec python3 "$(dirname "$0")/vmtest.py" "$@"
