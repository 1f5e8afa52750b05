/**
 * `ironbridge completion bash|zsh|fish`: shell completion generated from the command tree, so every command,
 * subcommand and flag completes without a hand-kept list; after a flag that names a file (--file, --out, --from) the
 * shell offers file names, after one that names a folder (--data-dir, --static) folder names.
 */
import { type Command, Option } from 'commander';

interface Node {
  path: string;
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, prefix: string[] = [], out: Node[] = []): Node[] {
  const options = [...cmd.options.flatMap((o: Option) => [o.long, o.short].filter((x): x is string => Boolean(x))), '--help'];
  out.push({ path: prefix.join(' '), subcommands: cmd.commands.map((c) => c.name()), options });
  for (const c of cmd.commands) walk(c, [...prefix, c.name()], out);
  return out;
}

/** Flags whose value is a file or a folder, completed from the file system. */
const FILE_FLAGS = ['--file', '--out', '--from'];
const DIR_FLAGS = ['--data-dir', '--static'];

export function bashScript(program: Command): string {
  const nodes = walk(program);
  const cases = nodes.map((n) => `    "${n.path}") words="${[...n.subcommands, ...n.options].join(' ')}" ;;`).join('\n');
  const known = nodes.filter((n) => n.path).map((n) => n.path);
  return `# ironbridge shell completion (bash; zsh loads it through bashcompinit)
# install: eval "$(ironbridge completion bash)"   or   ironbridge completion bash > /etc/bash_completion.d/ironbridge
_ironbridge() {
  local cur prev path candidate i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${FILE_FLAGS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${DIR_FLAGS.join('|')}) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    candidate="\${path:+$path }\${COMP_WORDS[i]}"
    case " ${known.map((k) => k.replace(/ /g, '_')).join(' ')} " in
      *" \${candidate// /_} "*) path="$candidate" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _ironbridge ironbridge
`;
}

function zshScript(program: Command): string {
  return `# ironbridge shell completion (zsh)\n# install: eval "$(ironbridge completion zsh)"\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program)}`;
}

function fishScript(program: Command): string {
  const lines = ['# ironbridge shell completion (fish)', '# install: ironbridge completion fish > ~/.config/fish/completions/ironbridge.fish'];
  for (const n of walk(program)) {
    const words = n.path ? n.path.split(' ') : [];
    const cond = words.length === 0 ? '__fish_use_subcommand'
      : `__fish_seen_subcommand_from ${words[words.length - 1]}`;
    for (const sub of n.subcommands) lines.push(`complete -c ironbridge -f -n '${cond}' -a '${sub}'`);
    for (const o of n.options.filter((x) => x.startsWith('--'))) {
      const value = FILE_FLAGS.includes(o) ? ' -r -F' : DIR_FLAGS.includes(o) ? " -r -a '(__fish_complete_directories)'" : '';
      lines.push(`complete -c ironbridge -n '${cond}' -l '${o.slice(2)}'${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerCompletion(program: Command): void {
  program.command('completion')
    .description('print a shell completion script (example: eval "$(ironbridge completion bash)")')
    .argument('[shell]', 'bash, zsh or fish', 'bash')
    .action((shell: string) => {
      const scripts: Record<string, (p: Command) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };
      const make = scripts[shell];
      if (!make) throw new Error(`shell must be one of bash, zsh, fish (got "${shell}")`);
      process.stdout.write(make(program));
    });
}
