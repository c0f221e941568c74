# bash completion for nestvirt(8): subcommands, options, --mode and --vendor values, domain
# names from libvirt's domain directory, CPU models from `nestvirt cpu-models`.
# shellcheck shell=bash

_nestvirt_commands="status rewrite rollback cpu-models firstboot enable disable image"

# _nestvirt_options COMMAND: the options of one subcommand (as its --help lists them).
_nestvirt_options()
{
	case $1 in
	status) echo "--root --json --check --textfile --config-dir" ;;
	rewrite)
		echo "--root --config-dir --mode --cpu --vendor --domain --exclude --dry-run" \
			"--override --force --no-backup --json --skip-foreign --include-managed"
		;;
	rollback) echo "--root --config-dir --domain --force --discard-later-edits --prune --json" ;;
	cpu-models | firstboot) echo "--root" ;;
	enable | disable) echo "--root --persistent --now" ;;
	image)
		echo "--image --device --partition --enable --disable --firstboot --now-rewrite --mode" \
			"--cpu --vendor --domain --exclude --override --no-backup --skip-foreign --dry-run --json"
		;;
	esac
	echo "--help"
}

# _nestvirt_arg WORD...: the value of the option WORD on the command line so far.
_nestvirt_arg()
{
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == "$1" && ${COMP_WORDS[i + 1]} == = ]]; then
			echo "${COMP_WORDS[i + 2]}" # bash split --opt=value at the = (COMP_WORDBREAKS)
		elif [[ $w == "$1" ]]; then
			echo "${COMP_WORDS[i + 1]}"
		elif [[ $w == "$1"=* ]]; then
			echo "${w#*=}"
		fi
	done | tail -n 1
}

# The domain names (file names without .xml) of the domain directory the command would use.
_nestvirt_domains()
{
	local root dir f
	root=$(_nestvirt_arg --root)
	dir=$(_nestvirt_arg --config-dir)
	dir=${root%/}${dir:-/etc/libvirt/qemu}
	for f in "$dir"/*.xml; do
		[[ -f $f ]] && f=${f##*/} && echo "${f%.xml}"
	done
}

_nestvirt_cpu_models()
{
	local root
	root=$(_nestvirt_arg --root)
	"${COMP_WORDS[0]}" cpu-models ${root:+--root "$root"} 2>/dev/null
}

# _nestvirt_values OPTION CUR: fill COMPREPLY with the values of OPTION; false if it takes none.
_nestvirt_values()
{
	case $1 in
	--root | --config-dir | --textfile) mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
	--image | --device) mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
	--partition) ;;
	--mode) mapfile -t COMPREPLY < <(compgen -W "feature host-passthrough host-model disable" -- "$2") ;;
	--vendor) mapfile -t COMPREPLY < <(compgen -W "intel amd" -- "$2") ;;
	--domain | --exclude) mapfile -t COMPREPLY < <(compgen -W "$(_nestvirt_domains)" -- "$2") ;;
	--cpu)
		# SPEC is MODEL[,FEATURE...]: the model is the part before the first comma.
		[[ $2 == *,* ]] && return 0
		mapfile -t COMPREPLY < <(compgen -W "$(_nestvirt_cpu_models)" -- "$2")
		;;
	*) return 1 ;;
	esac
	return 0
}

_nestvirt()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# bash splits --opt=value into "--opt" "=" "value" (= is in COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		cur=''
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-* | =) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$_nestvirt_commands --help" -- "$cur")
		return 0
	fi
	if [[ $cur == --*=* ]]; then
		_nestvirt_values "${cur%%=*}" "${cur#*=}"
		return 0
	fi
	_nestvirt_values "$prev" "$cur" && return 0
	if [[ $cmd == cpu-models && $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "x86_64 i686 ppc64 ppc64le aarch64 armv7l" -- "$cur")
		return 0
	fi
	mapfile -t COMPREPLY < <(compgen -W "$(_nestvirt_options "$cmd")" -- "$cur")
}

complete -F _nestvirt nestvirt
