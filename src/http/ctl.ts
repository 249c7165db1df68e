// `minikafka ctl`: the HTTP control plane from a shell, for scripts and CI jobs in any language.
// The address comes from --url or MINIKAFKA_HTTP (host:port or a URL). Answers are printed as
// they come (JSON, or Prometheus text for `metrics`); an error answer prints its message on
// stderr and exits 1, a usage error exits 2.
export const CTL_HELP = `Usage: minikafka ctl [--url HOST:PORT] <command>

Talks to a cluster started with --http-port (the ready line's http=HOST:PORT); --url
defaults to $MINIKAFKA_HTTP.

Commands:
  cluster | groups | producers | events | faults | metrics | healthz   print that state
  leader <topic> <partition>     print the partition's leader id (-1 when offline)
  isr <topic> <partition>        print its in-sync replicas, comma-separated
  stop <broker> [--crash]        stop a broker (--crash: cut sockets, flush nothing / kill -9)
  start <broker>                 start it again on its data
  isolate <broker> | heal        cut / restore a broker's replication and controller traffic
  fault '<json rule>'            add a fault rule, e.g. '{"api":"Produce","action":"drop-response"}'
                                 (prints its id)
  unfault <id> | unfault --all   remove one rule, or all`;

interface CtlIo {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: CtlIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function baseUrl(raw: string): string {
  const withScheme = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  return withScheme.replace(/\/+$/, '');
}

/** Runs one ctl command; resolves with the exit code. */
export async function runCtl(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CtlIo = STDIO): Promise<number> {
  const args = [...argv];
  let url = env.MINIKAFKA_HTTP;
  const crash = args.includes('--crash');
  const all = args.includes('--all');
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--url') url = args[++i];
    else if (a.startsWith('--url=')) url = a.slice(6);
    else if (a === '--help' || a === '-h') {
      io.out(`${CTL_HELP}\n`);
      return 0;
    } else if (a !== '--crash' && a !== '--all') rest.push(a);
  }
  const usage = (why: string): number => {
    io.err(`minikafka ctl: ${why}\n\n${CTL_HELP}\n`);
    return 2;
  };
  if (!url) return usage('no address: pass --url HOST:PORT or set MINIKAFKA_HTTP');
  const [cmd, a1, a2] = rest;
  if (!cmd) return usage('no command');
  const base = baseUrl(url);

  const call = async (method: string, path: string, body?: unknown): Promise<{ ok: boolean; text: string; json: unknown }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { ok: res.ok, text, json };
  };
  const brokerArg = (v: string | undefined): string | null => (v !== undefined && /^\d+$/.test(v) ? v : null);

  let req: [string, string, unknown?];
  let pick: ((json: unknown) => string) | null = null;
  switch (cmd) {
    case 'cluster':
    case 'groups':
    case 'producers':
    case 'events':
    case 'faults':
    case 'metrics':
    case 'healthz':
      req = ['GET', `/${cmd}`];
      break;
    case 'leader':
    case 'isr': {
      if (a1 === undefined || a2 === undefined || !/^\d+$/.test(a2)) return usage(`${cmd} takes <topic> <partition>`);
      req = ['GET', '/cluster'];
      pick = (json) => {
        const t = (json as { topics: { name: string; partitions: { leader: number; isr: number[] }[] }[] }).topics.find((x) => x.name === a1);
        const p = t?.partitions[Number(a2)];
        if (!p) throw new Error(`no partition ${a1}-${a2}`);
        return cmd === 'leader' ? String(p.leader) : p.isr.join(',');
      };
      break;
    }
    case 'stop':
    case 'start':
    case 'isolate': {
      const id = brokerArg(a1);
      if (id === null) return usage(`${cmd} takes a broker id`);
      req = ['POST', `/brokers/${id}/${cmd}`, cmd === 'stop' ? { crash } : undefined];
      break;
    }
    case 'heal':
      req = ['POST', '/heal'];
      break;
    case 'fault':
      if (a1 === undefined) return usage(`fault takes a JSON rule`);
      req = ['POST', '/faults', a1];
      pick = (json) => String((json as { id: number }).id);
      break;
    case 'unfault':
      if (all) req = ['DELETE', '/faults'];
      else if (a1 !== undefined && /^\d+$/.test(a1)) req = ['DELETE', `/faults/${a1}`];
      else return usage('unfault takes a rule id or --all');
      break;
    default:
      return usage(`unknown command '${cmd}'`);
  }
  let res: Awaited<ReturnType<typeof call>>;
  try {
    res = await call(...req);
  } catch (err) {
    io.err(`minikafka ctl: cannot reach ${base}: ${(err as Error).message}\n`);
    return 1;
  }
  if (!res.ok) {
    io.err(`minikafka ctl: ${(res.json as { error?: string } | null)?.error ?? res.text}\n`);
    return 1;
  }
  if (pick) {
    try {
      io.out(`${pick(res.json)}\n`);
    } catch (err) {
      io.err(`minikafka ctl: ${(err as Error).message}\n`);
      return 1;
    }
    return 0;
  }
  io.out(res.text.endsWith('\n') ? res.text : `${res.text}\n`);
  return 0;
}
