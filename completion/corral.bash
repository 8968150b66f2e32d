# bash completion for corral(8) and corralctl(8).
#
# Installed twice, as "corral" and "corralctl", because bash-completion
# loads a completion file by the name of the command being completed.
# Service names come from "corralctl status --json" (through the socket
# given with -s on the command line being completed, if any); when corral
# is not running, or the socket is not ours to read, there are none.

# The names of the services of the running corral, one a line.
_corral_services() {
        local sock=$1 json
        json=$(corralctl ${sock:+-s "$sock"} status --json 2>/dev/null) || return 0
        # Names are [A-Za-z0-9_.-] (corral.conf(5)), so a quote ends one.
        printf '%s\n' "$json" | grep -o '"name":"[^"]*"' | sed 's/^"name":"//; s/"$//'
}

_corral() {
        local cur prev i
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # After "--" comes the entrypoint command and its own arguments.
        for ((i = 1; i < COMP_CWORD; i++)); do
                if [[ ${COMP_WORDS[i]} == -- ]]; then
                        if ((i + 1 == COMP_CWORD)); then
                                mapfile -t COMPREPLY < <(compgen -c -- "$cur")
                        else
                                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        fi
                        return 0
                fi
        done
        case $prev in
        -c | --config)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return 0
                ;;
        --cgroup-root | --run-dir)
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                return 0
                ;;
        --log-level)
                mapfile -t COMPREPLY < <(compgen -W 'error warn info debug' -- "$cur")
                return 0
                ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W '-c --config --check --cgroup-root --run-dir
                --log-level --version -h --help --' -- "$cur")
}

_corralctl() {
        local cur prev sock= cmd= cmd_at=0 i
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # Options come before the command (corralctl stops at the first word
        # that is not one), so the first other word is the command.
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -s | --socket) sock=${COMP_WORDS[i + 1]}; ((i++)) ;;
                --socket=*) sock=${COMP_WORDS[i]#--socket=} ;;
                -*) ;;
                *) cmd=${COMP_WORDS[i]}; cmd_at=$i; break ;;
                esac
        done
        if [[ -z $cmd ]]; then
                case $prev in
                -s | --socket)
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        return 0
                        ;;
                esac
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W '-s --socket -h --help --version' -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W 'status start stop restart kill reload
                                logs check reopen exec shutdown' -- "$cur")
                fi
                return 0
        fi
        # The words after the command, the one being completed included.
        local nth=$((COMP_CWORD - cmd_at))
        case $cmd in
        status)
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W '--json' -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$(_corral_services "$sock")" -- "$cur")
                fi
                ;;
        start | stop | restart | check)
                ((nth == 1)) && mapfile -t COMPREPLY < <(compgen -W "$(_corral_services "$sock")" -- "$cur")
                ;;
        logs)
                if ((nth == 1)); then
                        mapfile -t COMPREPLY < <(compgen -W "$(_corral_services "$sock")" -- "$cur")
                elif [[ $prev != -n ]]; then
                        mapfile -t COMPREPLY < <(compgen -W '-n' -- "$cur")
                fi
                ;;
        kill)
                if ((nth == 1)); then
                        mapfile -t COMPREPLY < <(compgen -W "$(_corral_services "$sock")" -- "$cur")
                elif ((nth == 2)); then
                        mapfile -t COMPREPLY < <(compgen -A signal -X EXIT -- "$cur")
                fi
                ;;
        exec)
                if ((nth == 1)); then
                        mapfile -t COMPREPLY < <(compgen -W "$(_corral_services "$sock")" -- "$cur")
                elif ((nth == 2)); then
                        mapfile -t COMPREPLY < <(compgen -W '--' -- "$cur")
                elif ((nth == 3)); then
                        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                fi
                ;;
        esac
        return 0
}

complete -F _corral corral
complete -F _corralctl corralctl
