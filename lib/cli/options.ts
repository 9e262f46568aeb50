/** What `main()` takes besides the arguments: where it writes, what it runs with. */
import type { ProcessRunner } from "../kube/process.ts";
import type { Task } from "../plan/task.ts";

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface MainOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  io?: Io;
  tasks?: readonly Task[];
  /** where values/ and manifests/ are read from (tests point it elsewhere) */
  root?: string;
  /** spawns kubectl and helm (tests pass one that uses the cached binaries) */
  proc?: ProcessRunner;
  /** fetches remote manifests */
  fetchText?: (url: string) => Promise<string>;
  /** whether stdout is a terminal (live tree) and stdin can confirm `down` */
  tty?: boolean;
  /** aborts the run like a first SIGINT does (nothing new starts) */
  signal?: AbortSignal;
  /** like a second SIGINT (running commands are stopped) */
  killSignal?: AbortSignal;
  /** the run lock's Lease duration in seconds (tests shorten it) */
  leaseDurationSeconds?: number;
}
