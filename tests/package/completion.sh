#!/bin/bash
# The bash completion of corral and corralctl: every option corral --help
# lists and every command corralctl --help lists is offered, and service
# names come from "corralctl status --json" (a stand-in corralctl here, so
# no corral needs to run), through the socket named with -s.
set -u
COMPLETION=${COMPLETION:?}
CORRAL=${CORRAL:?}
CORRALCTL=${CORRALCTL:?}

. "$(dirname "$0")/lib.sh"

# The stand-in: the JSON shape of corralctl(8), and a record of its words.
cat >"$tmp/corralctl" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"${0%/*}/calls"
printf '{"services":[{"name":"db","state":"ready","pid":12,"uptime_ms":5,"restarts":0,"last_exit":null,"ready":true,"cgroup":"pod/db","memory_current":1,"memory_max":null,"oom_kills":0},{"name":"web.1","state":"backoff","pid":null,"uptime_ms":0,"restarts":2,"last_exit":{"code":1},"ready":false,"cgroup":"web","memory_current":null,"memory_max":null,"oom_kills":0}]}\n'
SH
chmod +x "$tmp/corralctl"
PATH=$tmp:$PATH

# shellcheck source=/dev/null
. "$COMPLETION"

# complete WORD...: the candidates for the last word, sorted, one a line.
complete_words() {
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        case $1 in
        corral) _corral ;;
        corralctl) _corralctl ;;
        esac
        printf '%s\n' "${COMPREPLY[@]}" | sort
}

has() { # CANDIDATES WORD
        grep -qxF -- "$2" <<<"$1"
}

got=$(complete -p corral corralctl 2>&1)
if has "$got" "complete -F _corral corral" && has "$got" "complete -F _corralctl corralctl"; then
        ok "the file registers both commands"
else
        not_ok "the file registers both commands: $got"
fi

# Every long option corral --help prints.
opts=$("$CORRAL" --help | grep -o -- '--[a-z-]*' | sort -u)
got=$(complete_words corral -)
missing=
for o in $opts; do has "$got" "$o" || missing+=" $o"; done
if [ -n "$opts" ] && [ -z "$missing" ]; then
        ok "corral: every option of --help is offered ($(echo $opts))"
else
        not_ok "corral: options missing:${missing:- (none found in --help)}"
fi

got=$(complete_words corral --log-level "")
if [ "$got" = "$(printf '%s\n' debug error info warn)" ]; then
        ok "corral --log-level offers the four levels"
else
        not_ok "corral --log-level offers: $(echo $got)"
fi

got=$(complete_words corral --run-dir /)
if has "$got" /tmp && ! has "$got" /etc/passwd; then
        ok "corral --run-dir offers directories"
else
        not_ok "corral --run-dir offers: $(echo $got)"
fi

got=$(complete_words corral -- corralct)
if has "$got" corralctl; then
        ok "corral -- completes the command from PATH"
else
        not_ok "corral -- offers: $(echo $got)"
fi

# Every command corralctl --help lists (the first word of each line
# under "commands:", and the ones joined by "|").
cmds=$("$CORRALCTL" --help | sed -n '/^commands:/,/^options:/p' | sed '1d;$d' |
        grep -o '^  [a-z][a-z |A-Z]*' | tr '|' '\n' | awk '{print $1}' | sort -u)
got=$(complete_words corralctl "")
missing=
for c in $cmds; do has "$got" "$c" || missing+=" $c"; done
if [ "$(echo "$cmds" | wc -w)" -ge 10 ] && [ -z "$missing" ]; then
        ok "corralctl: every command of --help is offered ($(echo $cmds))"
else
        not_ok "corralctl: commands missing:${missing:- (fewer than 10 found in --help: $(echo $cmds))}"
fi

got=$(complete_words corralctl re)
if [ "$got" = "$(printf '%s\n' reload reopen restart)" ]; then
        ok "corralctl re offers reload, reopen, restart"
else
        not_ok "corralctl re offers: $(echo $got)"
fi

for c in status start stop restart check logs kill exec; do
        got=$(complete_words corralctl "$c" "")
        if [ "$got" = "$(printf '%s\n' db web.1)" ]; then
                ok "corralctl $c offers the service names"
        else
                not_ok "corralctl $c offers: $(echo $got)"
        fi
done

got=$(complete_words corralctl restart w)
if [ "$got" = web.1 ]; then
        ok "corralctl restart w offers web.1 only"
else
        not_ok "corralctl restart w offers: $(echo $got)"
fi

: >"$tmp/calls"
got=$(complete_words corralctl -s /run/pod/control stop "")
calls=$(cat "$tmp/calls")
if [ "$got" = "$(printf '%s\n' db web.1)" ] && [ "$calls" = "-s /run/pod/control status --json" ]; then
        ok "corralctl -s SOCKET asks that socket for the names"
else
        not_ok "corralctl -s: offers $(echo $got), called with: $calls"
fi

got=$(complete_words corralctl status --j)
if [ "$got" = --json ]; then
        ok "corralctl status --j offers --json"
else
        not_ok "corralctl status --j offers: $(echo $got)"
fi

got=$(complete_words corralctl kill db SIGUS)
if [ "$got" = "$(printf '%s\n' SIGUSR1 SIGUSR2)" ]; then
        ok "corralctl kill NAME offers signal names"
else
        not_ok "corralctl kill db SIGUS offers: $(echo $got)"
fi

got=$(complete_words corralctl stop db "")
if [ -z "$got" ]; then
        ok "corralctl stop NAME offers nothing more"
else
        not_ok "corralctl stop db offers: $(echo $got)"
fi

got=$(complete_words corralctl exec db "")
if [ "$got" = -- ]; then
        ok "corralctl exec NAME offers --"
else
        not_ok "corralctl exec db offers: $(echo $got)"
fi

# No corral to ask: no names, no error on the terminal.
cat >"$tmp/corralctl" <<'SH'
#!/bin/sh
echo "corralctl: /run/corral/control: No such file or directory" >&2
exit 1
SH
got=$(complete_words corralctl stop "" 2>&1)
if [ -z "$got" ]; then
        ok "without a running corral, no names and no message"
else
        not_ok "without a running corral: $(echo $got)"
fi

done_testing
