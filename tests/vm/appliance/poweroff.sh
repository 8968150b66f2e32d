# Boot with corral as PID 1, then `corralctl shutdown`: an orderly poweroff.
. /test/common.sh
# This script is a service too: the shutdown stops it, the harness judges the end.
t_like "corralctl shutdown answers" "$($C shutdown)" "stopping"
