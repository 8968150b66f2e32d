# TAP helpers of the package suite (sourced by its *.sh tests).  Sourcing
# makes a private temporary directory, $tmp, removed on exit.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
diag() { sed 's/^/# /'; }
done_testing() { echo "1..$n"; exit $failed; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
