# auditscope.bash: bash completion for auditscope. It asks the binary for
# its words (auditscope __complete ...), which come from the command table,
# the filter's fields and the hunt table, so it cannot fall behind them.

_auditscope()
{
	local cur prev bin cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	bin=${COMP_WORDS[0]}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$("$bin" __complete commands 2>/dev/null) --help --version" -- "$cur"))
		COMPREPLY+=($(compgen -f -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	# the value of an option that takes one of a few
	local values
	values=$("$bin" __complete values "$cmd" "$prev" 2>/dev/null)
	if [ -n "$values" ]; then
		COMPREPLY=($(compgen -W "$values" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$bin" __complete options "$cmd" 2>/dev/null)" -- "$cur"))
		[ ${#COMPREPLY[@]} -gt 0 ] && return
	fi
	# the positional word being typed (options and their values skipped)
	local n=0 valued flags w
	valued=" $("$bin" __complete valued "$cmd" 2>/dev/null | tr '\n' ' ') "
	flags=" $("$bin" __complete flags "$cmd" 2>/dev/null | tr '\n' ' ') "
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $valued == *" $w "* ]]; then
			i=$((i + 1)) # its value
		elif [[ $w != --* ]] && [[ $flags != *" $w "* ]]; then
			n=$((n + 1))
		fi
	done
	local usage
	usage=$("$bin" __complete usage "$cmd" 2>/dev/null)
	if [ "$cmd" = notes ] && [ "$n" -eq 0 ]; then
		COMPREPLY=($(compgen -W "export import" -- "$cur"))
	elif [ "$cmd" = hunt ] && [ "$n" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$("$bin" __complete hunts 2>/dev/null)" -- "$cur"))
	elif [[ $usage == *FIELD* ]] && [ "$n" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$("$bin" __complete fields 2>/dev/null)" -- "$cur"))
	elif [[ $usage == *FILTER* ]] && [ "$n" -ge 1 ] && [[ $cur != */* ]] && [[ $cur != *=* ]]; then
		# a filter term: a field and its operator
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "$("$bin" __complete fields 2>/dev/null | sed '/[.]$/!s/$/=/')" -- "$cur"))
		[ ${#COMPREPLY[@]} -eq 0 ] && compopt +o nospace 2>/dev/null && COMPREPLY=($(compgen -f -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _auditscope auditscope
