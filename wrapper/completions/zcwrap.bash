# bash completion for zcwrap                                  -*- shell-script -*-
# Installed as $datadir/bash-completion/completions/zcwrap (loaded by bash-completion on first
# use). The options are those of `zcwrap --help`; tests/install/install_check.sh fails when one
# is missing here.
#
#   zcwrap -<TAB>            the options
#   zcwrap -M <TAB>          sizes (a number typed so far gets the K/M/G/T suffixes)
#   zcwrap -o <TAB>, -k <TAB>  setting names (from zcwrap -p)
#   zcwrap -e <TAB>          --json, --, or a file (the object to explain)
#   zcwrap -e -- gcc <TAB>   as the compiler completes
#   zcwrap <TAB>             compiler names (any command)
#   zcwrap gcc <TAB>         as gcc itself completes (bash-completion's, else file names)

_zcwrap() {
  local cur prev words cword
  _init_completion || return

  local options='-s --show-stats --print-stats -z --zero-stats -C --clear -c --cleanup
    --evict-older-than -M --max-size -F --max-files -o --set-config -k --get-config -p --show-config
    -e --explain -V --version --daemon-start --daemon-stop --daemon-status --daemon-run
    -h --help'

  if ((cword == 1)); then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
      COMPREPLY=($(compgen -c -- "$cur"))  # zcwrap COMPILER ...
    fi
    return
  fi

  case ${words[1]} in
    -M | --max-size)
      if ((cword == 2)); then
        if [[ $cur =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
          COMPREPLY=($(compgen -W "${cur}K ${cur}M ${cur}G ${cur}T" -- "$cur"))
        else
          COMPREPLY=($(compgen -W '0 500M 1G 2G 5G 10G 20G 50G' -- "$cur"))
        fi
      fi
      return
      ;;
    -F | --max-files)
      ((cword == 2)) && COMPREPLY=($(compgen -W '0 10000 100000 1000000' -- "$cur"))
      return
      ;;
    --evict-older-than)
      ((cword == 2)) && COMPREPLY=($(compgen -W '1d 7d 30d 12h' -- "$cur"))
      return
      ;;
    -o | --set-config | -k | --get-config)
      if ((cword == 2)) && [[ $cur != *=* ]]; then
        # The setting names, as this zcwrap shows them: "(origin) key = value".
        local keys
        keys=$("${words[0]}" -p 2>/dev/null | sed -n 's/^([^)]*) \([a-z_]*\) = .*/\1/p')
        if [[ ${words[1]} == -o || ${words[1]} == --set-config ]]; then
          COMPREPLY=($(compgen -W "$keys" -S = -- "$cur"))
          compopt -o nospace
        else
          COMPREPLY=($(compgen -W "$keys" -- "$cur"))
        fi
      fi
      return
      ;;
    --print-stats | --daemon-status)
      ((cword == 2)) && COMPREPLY=($(compgen -W '--json' -- "$cur"))
      return
      ;;
    -e | --explain)
      local i
      for ((i = 2; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
          _command_offset $((i + 1))  # --explain -- COMPILER ARGS...
          return
        fi
      done
      if [[ $cur == -* ]]; then
        local more='--'
        ((cword == 2)) && more='--json --'
        COMPREPLY=($(compgen -W "$more" -- "$cur"))
      else
        _filedir  # the object file
      fi
      return
      ;;
    -*)
      return  # the other options take nothing
      ;;
  esac

  # zcwrap COMPILER ARGS...: whatever the compiler's own completion does (files without one).
  _command_offset 1
} &&
  complete -F _zcwrap zcwrap

# ex: filetype=sh
