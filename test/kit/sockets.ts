/**
 * The TCP sockets a process (and the rest of its process group) listens on, read from /proc: the
 * socket inodes among its open file descriptors, matched against the LISTEN rows of
 * /proc/<pid>/net/tcp and tcp6. Linux only.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { networkInterfaces } from "node:os";

/** A listening socket: its address as written in a URL host (`127.0.0.1`, `[::1]`, `0.0.0.0`) and port. */
export interface Listener {
  readonly address: string;
  readonly port: number;
}

/** `0100007F` → `127.0.0.1` (the kernel writes the address in host byte order, little-endian here). */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
}

/** 32 hex digits (four little-endian 32-bit words) → `[::1]`-style text, zeros compressed by URL. */
function ipv6(hex: string): string {
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => word.slice(i, i + 2)).join("");
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  return new URL(`http://[${groups.join(":")}]`).hostname;
}

/** The pids of `pid`'s process group (pid included, whether or not it leads one). */
function groupOf(pid: number): number[] {
  const out = [pid];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After "(comm) ": state, ppid, pgrp, …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every TCP socket `pid` and its process group listen on. */
export function listeningSockets(pid: number): Listener[] {
  const inodes = new Set<string>();
  for (const p of groupOf(pid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const out: Listener[] = [];
  for (const [file, decode] of [
    ["tcp", ipv4],
    ["tcp6", ipv6],
  ] as const) {
    const rows = readFileSync(`/proc/${pid}/net/${file}`, "utf8").split("\n").slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      // sl local_address rem_address st … inode (the 10th column); st 0A is LISTEN
      if (cols.length < 10 || cols[3] !== "0A" || !inodes.has(cols[9]!)) continue;
      const [addr, port] = cols[1]!.split(":");
      out.push({ address: decode(addr!), port: Number.parseInt(port!, 16) });
    }
  }
  return out;
}

/** True for a loopback address as `listeningSockets` writes it. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "[::1]";
}

/** An IPv4 address of this machine other than loopback, if it has one. */
export function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}
