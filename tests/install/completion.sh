#!/usr/bin/env bash
# The completions: bash loads completions/slimzip.bash (with bash-completion's helpers, as a
# user's shell has them) and, called as bash would, offers every command of main.c's table for
# `slimzip `, every option the binary accepts (options.py) for `slimzip CMD --`, ctl's verbs,
# and nothing after `--` (the recorded command's words). zsh: _slimzip parses (zsh -n) and
# names every option too.
#   completion.sh SLIMZIP SRC
set -euo pipefail
slimzip=$1 src=$2
here=$(dirname "${BASH_SOURCE[0]}")
fail=0
accepted=$(python3 "$here/options.py" "$slimzip" "$src")
[[ $(grep -c -- ' --' <<<"$accepted") -ge 50 ]] || {
	echo "FAIL: the probe of the binary found too few options" >&2
	exit 1
}
commands=$(awk 'NF == 1' <<<"$accepted")

# complete WORDS...: COMPREPLY, one a line, for the command line WORDS (the last one is the
# word being completed), in a fresh bash with the completion sourced.
complete_words() {
	bash --norc --noprofile -c '
		[[ -r /usr/share/bash-completion/bash_completion ]] && . /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_slimzip slimzip "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/slimzip.bash" "$@"
}

got=$(complete_words slimzip '' | sort)
want=$( (
	echo "$commands"
	echo help
) | sort -u)
if [[ $got != "$want" ]]; then
	echo "FAIL: 'slimzip ' completes to [$(echo $got)], want [$(echo $want)]" >&2
	fail=1
fi
[[ $(complete_words slimzip pr) == prune ]] || {
	echo "FAIL: 'slimzip pr' does not complete to prune" >&2
	fail=1
}

for cmd in $commands; do
	offered=$(complete_words slimzip "$cmd" --)
	for opt in $(awk -v c="$cmd" '$1 == c && NF == 2 { print $2 }' <<<"$accepted"); do
		if ! grep -qx -- "$opt" <<<"$offered"; then
			echo "FAIL: bash: 'slimzip $cmd --' does not offer $opt" >&2
			fail=1
		fi
	done
done
got=$(complete_words slimzip prune --tr)
[[ $got == --tree$'\n'--tree-path-as || $got == --tree-path-as$'\n'--tree ]] || {
	echo "FAIL: 'slimzip prune --tr' completes to [$got]" >&2
	fail=1
}

verbs=$(sed -n 's/^\t{"\([a-z]*\)", PROTO_[A-Z_]*,.*/\1/p' "$src/userspace/cli/cmd_ctl.c" | sort)
got=$(complete_words slimzip ctl '' | sort)
[[ -n $verbs && $got == "$verbs" ]] || {
	echo "FAIL: 'slimzip ctl ' completes to [$(echo $got)], want [$(echo $verbs)]" >&2
	fail=1
}
[[ -z $(complete_words slimzip run --tree t -- --) ]] || {
	echo "FAIL: a word after -- (the recorded command's) got slimzip's options" >&2
	fail=1
}
[[ $(complete_words slimzip record --format '') == text$'\n'json ]] || {
	echo "FAIL: 'slimzip record --format ' does not offer text and json" >&2
	fail=1
}

if command -v zsh >/dev/null; then
	zsh -n "$src/completions/_slimzip" || {
		echo "FAIL: zsh -n completions/_slimzip" >&2
		fail=1
	}
	while read -r cmd opt; do
		[[ -n ${opt:-} ]] || continue
		grep -q -- "'[^']*$opt[[]" "$src/completions/_slimzip" ||
			grep -q -- "{[^}]*,$opt}" "$src/completions/_slimzip" || {
			echo "FAIL: zsh: _slimzip does not name $opt (of $cmd)" >&2
			fail=1
		}
	done <<<"$accepted"
	for cmd in $commands; do
		grep -q "^	$cmd)" "$src/completions/_slimzip" || {
			echo "FAIL: zsh: _slimzip has no case for $cmd" >&2
			fail=1
		}
	done
else
	echo "FAIL: zsh is not installed (scripts/setup installs it)" >&2
	fail=1
fi
((fail == 0)) && echo "completion: bash and zsh offer every command and option"
exit "$fail"
