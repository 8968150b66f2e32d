# SIGINT to PID 1 (Ctrl-Alt-Del): stop the services, then reboot.
. /test/common.sh
kill -INT 1
