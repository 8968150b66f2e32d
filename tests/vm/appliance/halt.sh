# SIGUSR1 to PID 1: stop the services, then halt.
. /test/common.sh
kill -USR1 1
