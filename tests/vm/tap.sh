# TAP relay shared by the VM tier's scripts (sourced, not run).  Callers
# set n=0 and failed=0 first; both carry on across emit and result.

# emit [CASE] <FILE: renumber the TAP of FILE, each description prefixed by
# "CASE: " when CASE is given; a skip skips all, a bail-out ends all.
# (A function with a redirection runs in this shell: n and failed carry on.)
emit() {
        p=${1:+$1: }
        while IFS= read -r line; do
                case $line in
                "1..0 # SKIP"*) echo "$line"; exit 0 ;;
                "Bail out!"*) echo "$line"; exit 1 ;;
                "ok "*) n=$((n + 1)); echo "ok $n - $p${line#ok [0-9]* - }" ;;
                "not ok "*) n=$((n + 1)); failed=$((failed + 1))
                        echo "not ok $n - $p${line#not ok [0-9]* - }" ;;
                "#"*) echo "$line" ;;
                esac
        done
}

# result DESC COND...: one result of the calling script's own.
result() {
        d=$1
        shift
        n=$((n + 1))
        if "$@"; then echo "ok $n - $d"
        else failed=$((failed + 1)); echo "not ok $n - $d"; fi
}
