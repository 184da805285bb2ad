/** Probes that run inside a container: programs on PATH, listening sockets, /ping. */
import { request } from "node:http";
import type { ContainerEngine } from "./engine.js";

/** What the shell probe found for one program name. */
export interface ProgramProbe {
  readonly name: string;
  /** Absolute path found on PATH (even when not executable), or undefined. */
  readonly path: string | undefined;
  readonly executable: boolean;
  /** The first line ends in CR (Windows line endings). */
  readonly crlf: boolean;
  /** The `#!` line, without CR, or undefined for binaries. */
  readonly shebang: string | undefined;
  /** The shebang's interpreter exists in the image. */
  readonly interpreterFound: boolean;
}

const PROGRAM_SCRIPT = `
for n in "$@"; do
  found=""
  old_ifs="$IFS"; IFS=:
  for d in $PATH; do
    if [ -z "$found" ] && [ -f "$d/$n" ]; then found="$d/$n"; fi
  done
  IFS="$old_ifs"
  if [ -z "$found" ]; then echo "$n|||||"; continue; fi
  x=0; [ -x "$found" ] && x=1
  first=$(head -n 1 "$found" | head -c 200 | tr -d '\\000')
  cr=0; case "$first" in *"$(printf '\\r')") cr=1 ;; esac
  she=""; interp=1
  case "$first" in
    "#!"*)
      she=$(printf '%s' "$first" | tr -d '\\r')
      set -- $(printf '%s' "$she" | cut -c3-) "$@"
      i="$1"
      if [ "$(basename "$i")" = "env" ] && [ -n "\${2:-}" ]; then command -v "$2" >/dev/null 2>&1 || interp=0;
      else [ -x "$i" ] || interp=0; fi
      ;;
  esac
  echo "$n|$found|$x|$cr|$she|$interp"
done
`;

/**
 * Looks up each program name on the image's PATH with `/bin/sh` and reports exec bit, line endings
 * and interpreter. Resolves to undefined when the image has no `/bin/sh`.
 */
export async function probePrograms(
  engine: ContainerEngine,
  image: string,
  names: readonly string[],
): Promise<ProgramProbe[] | undefined> {
  const res = await engine.run(
    [
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "/bin/sh",
      image,
      "-c",
      PROGRAM_SCRIPT,
      "probe",
      ...names,
    ],
    { check: false },
  );
  if (res.code !== 0) return undefined;
  const out: ProgramProbe[] = [];
  for (const line of res.stdout.split("\n")) {
    const [name, path, x, cr, shebang, interp] = line.split("|");
    if (!name || !names.includes(name)) continue;
    out.push({
      name,
      path: path || undefined,
      executable: x === "1",
      crlf: cr === "1",
      shebang: shebang || undefined,
      interpreterFound: interp !== "0",
    });
  }
  return out;
}

/** A listening TCP socket inside a container and the process holding it. */
export interface Listener {
  readonly port: number;
  readonly pid: number | undefined;
  readonly command: string | undefined;
}

/** Lists TCP listeners in a running container from /proc (needs /bin/sh in the image). */
export async function probeListeners(engine: ContainerEngine, container: string): Promise<Listener[]> {
  const script = `
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { print "L", $2, $10 }'
for p in /proc/[0-9]*; do
  for f in "$p"/fd/*; do
    l=$(readlink "$f" 2>/dev/null) || continue
    case "$l" in socket:*) echo "S \${p#/proc/} $l $(tr -d '\\n' < "$p/comm" 2>/dev/null)";; esac
  done
done`;
  const res = await engine.run(["exec", container, "/bin/sh", "-c", script], { check: false });
  const owners = new Map<string, { pid: number; command: string }>();
  const listeners: { port: number; inode: string }[] = [];
  for (const line of res.stdout.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === "L" && parts[1] && parts[2]) {
      const port = Number.parseInt(parts[1].split(":").pop() ?? "", 16);
      listeners.push({ port, inode: parts[2] });
    } else if (parts[0] === "S" && parts[2]) {
      const inode = /socket:\[(\d+)\]/.exec(parts[2])?.[1];
      if (inode) owners.set(inode, { pid: Number(parts[1]), command: parts.slice(3).join(" ") });
    }
  }
  return listeners.map((l) => ({
    port: l.port,
    pid: owners.get(l.inode)?.pid,
    command: owners.get(l.inode)?.command,
  }));
}

/** One HTTP GET with a deadline: resolves to the status, or an error message on timeout/failure. */
export function httpGet(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string; ms: number } | { error: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ error: e.message, ms: performance.now() - started }));
    req.end();
  });
}
