# bash completion for airsupctl(1): verbs, options, and the names of the
# running tree's groups, instances and supervisors (asked from airsupd).
_airsupctl() {
        local cur prev words cword sock i verb=
        _init_completion 2>/dev/null || {
                cur=${COMP_WORDS[COMP_CWORD]}
                prev=${COMP_WORDS[COMP_CWORD - 1]}
                words=("${COMP_WORDS[@]}")
                cword=$COMP_CWORD
        }
        sock=()
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                -s | --socket) sock=(-s "${words[i + 1]}"); ((i++)) ;;
                --socket=*) sock=(-s "${words[i]#--socket=}") ;;
                --timeout | -n | --lines | --since | --severity | --type | --count) ((i++)) ;;
                -*) ;;
                *) [ -z "$verb" ] && verb=${words[i]} ;;
                esac
        done
        case $prev in
        -s | --socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --severity) COMPREPLY=($(compgen -W "emerg alert crit err warning notice info debug" -- "$cur")); return ;;
        -n | --lines | --since | --timeout | --type | --count) return ;;
        esac
        local globals="-s --socket --json --no-block --no-wait --no-pager --timeout --help --version"
        if [ -z "$verb" ]; then
                local verbs
                # The verbs as airsupctl --help lists them: from its table.
                verbs=$(airsupctl --help 2>/dev/null |
                        awk '/^Verbs:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
                COMPREPLY=($(compgen -W "$verbs $globals" -- "$cur"))
                return
        fi
        # Options go after the verb too: its own, then the global ones.
        if [[ $cur == -* ]]; then
                local own=
                case $verb in
                events) own="-f --follow -n --lines --since --severity" ;;
                logs) own="-f --follow -n --lines" ;;
                metrics) own="--prometheus" ;;
                reload) own="--dry-run" ;;
                request) own="--type" ;;
                subscribe) own="-n --count" ;;
                esac
                COMPREPLY=($(compgen -W "$own $globals" -- "$cur"))
                return
        fi
        case $verb in
        status | start | stop | restart | signal | events | logs | dead-letters | actors)
                if [ "$verb" = signal ] && [ "$prev" != signal ] && [[ $prev != -* ]]; then
                        COMPREPLY=($(compgen -W "HUP INT QUIT USR1 USR2 TERM CONT STOP KILL" -- "$cur"))
                        return
                fi
                local names=
                case $verb in start | stop | restart) names=all ;; esac
                # Each row's name, and a pool instance's group as well, when
                # airsupd answers (quietly: nothing when it does not).
                names+=" $(airsupctl "${sock[@]}" status 2>/dev/null |
                        awk 'NR > 1 { print $1; if (sub(/\[.*/, "", $1)) print $1 }' | sort -u)"
                COMPREPLY=($(compgen -W "$names" -- "$cur"))
                ;;
        esac
}
complete -F _airsupctl airsupctl
