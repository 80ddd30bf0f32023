# bash completion for slimzip: commands, each command's options, ctl's verbs, files where an
# option takes a file. tests/install/completion_bash.sh checks every command and every option
# the binary accepts is offered here.

_slimzip_opts_prune_common='--tree --output -o --keep --drop --keep-from --dry-run --level
	--mtime --modes --force --tree-path-as --keep-created --strict-host --no-strict-host
	--no-rule-python --no-rule-node --no-rule-elf --no-rules --whitelist-out --report
	--enforce-lambda-limits --json --help'

_slimzip()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands='record report prune run verify batch diff merge daemon ctl help version'
	local cmd='' i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--) return ;; # after --: the recorded command's own words
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-v --verbose -q --quiet -h --help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	# A word after -- belongs to the recorded command.
	local ci=$i
	for ((i = ci + 1; i < cword; i++)); do
		[[ ${words[i]} == -- ]] && return
	done

	case $prev in
	--tree | --extract-dir | --isolate-dir | --state-dir | --runtime-dir | --outdir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--output | -o | --profile | --profile-out | --keep-from | --whitelist-out | --report | \
		--keep-out | --json | --layer | --config | --commands | --socket | --html)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W 'text json' -- "$cur"))
		return
		;;
	--modes)
		COMPREPLY=($(compgen -W 'lambda keep' -- "$cur"))
		return
		;;
	--mtime)
		COMPREPLY=($(compgen -W 'keep fixed' -- "$cur"))
		return
		;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}"))
		return
		;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--keep | --drop | --level | --max-files | --ringbuf-mb | --duration | --name | --top | \
		--depth | --map | --tree-path-as | --max-rounds | --max-extract | --jobs | -j | \
		--layer-min-users | --max-unzipped)
		return
		;;
	esac

	local opts=''
	case $cmd in
	record)
		opts='--output -o --format --record-missing --max-files --ringbuf-mb --cgroup
			--duration --user --daemon --name --socket --tree-root --json --pid --container
			--wait-children --wait-timeout --help'
		;;
	report) opts='--top --depth --format --html --tree --tree-path-as --help' ;;
	prune) opts="--profile $_slimzip_opts_prune_common" ;;
	run)
		opts="--profile-out --format --ignore-exit --max-files --ringbuf-mb --user
			$_slimzip_opts_prune_common"
		;;
	verify)
		opts='--tree --fix --max-rounds --max-extract --extract-dir --user --no-mode-check
			--isolate --no-isolate --isolate-dir --layer --report --keep-out --json --drop --level
			--mtime --modes
			--tree-path-as --keep-created --no-rule-python --no-rule-node --no-rule-elf
			--no-rules --help'
		;;
	batch)
		opts='--jobs -j --outdir -o --commands --layer --verify --layer-min-users
			--max-unzipped --socket --no-daemon --json --help'
		;;
	diff) opts='--format --tree-path-as --help' ;;
	merge) opts='--output -o --format --map --help' ;;
	daemon) opts='--config --state-dir --runtime-dir --foreground --help' ;;
	ctl)
		opts='--socket --format --cgroup --output -o --help'
		if [[ $cur != -* ]]; then
			local verb=''
			for ((i = ci + 1; i < cword; i++)); do
				[[ ${words[i]} != -* && ${words[i - 1]} != --socket && ${words[i - 1]} != --format ]] &&
					verb=${words[i]} && break
			done
			[[ -z $verb ]] &&
				COMPREPLY=($(compgen -W 'add remove list status snapshot finish checkpoint ping' -- "$cur"))
			return
		fi
		;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
		;;
	*) return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _slimzip slimzip
