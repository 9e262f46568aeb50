/**
 * Loads a kubeconfig the way kubectl does: an explicit file, else the
 * colon-separated `$KUBECONFIG` list (the first file that names a cluster,
 * user or context wins, missing files are skipped), else `~/.kube/config`;
 * then resolves one context into the server, the TLS material and the
 * credentials that the in-process client needs. Relative file paths are
 * relative to the kubeconfig that holds them.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";

/** A kubeconfig that cannot be read, parsed or resolved. */
export class KubeconfigError extends Error {
  /** the kubeconfig file concerned, if one */
  readonly file?: string;
  /** what to do about it */
  readonly hint?: string;

  constructor(message: string, options: { file?: string; hint?: string } = {}) {
    super(message);
    this.name = "KubeconfigError";
    this.file = options.file;
    this.hint = options.hint;
  }
}

/** An `exec` credential plugin (client.authentication.k8s.io v1 or v1beta1). */
export interface ExecConfig {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  /** "Never", "IfAvailable" or "Always" (v1 requires it; default "IfAvailable") */
  interactiveMode: string;
  provideClusterInfo: boolean;
  installHint?: string;
  /** the folder of the kubeconfig, where a relative command is looked up */
  dir: string;
}

/** The cluster of the selected context. */
export interface ResolvedCluster {
  name: string;
  server: string;
  /** CA bundle (PEM) from certificate-authority-data or the certificate-authority file */
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  proxyUrl?: string;
  tlsServerName?: string;
}

/** The user of the selected context. */
export interface ResolvedUser {
  name: string;
  token?: string;
  /** absolute path, re-read by the client when it changes */
  tokenFile?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  exec?: ExecConfig;
  username?: string;
  password?: string;
  /** the name of a legacy auth-provider (gcp, oidc, azure), which is not supported */
  authProvider?: string;
}

/** One context, resolved. */
export interface ResolvedKubeconfig {
  context: string;
  /** the context's namespace, or "default" */
  namespace: string;
  cluster: ResolvedCluster;
  user: ResolvedUser;
  /** the kubeconfig files read, in merge order */
  files: string[];
}

/** Where to load from. */
export interface LoadKubeconfigOptions {
  /** an explicit kubeconfig file (like `--kubeconfig`): only this file is read */
  path?: string;
  /** the context to use (default: current-context) */
  context?: string;
  /** environment to read KUBECONFIG and HOME from (default Deno.env) */
  env?: Record<string, string | undefined>;
}

type Rec = Record<string, unknown>;

interface Named {
  item: Rec;
  file: string;
}

interface Merged {
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  currentContext?: string;
  files: string[];
}

function isRec(value: unknown): value is Rec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function dirOf(file: string): string {
  const at = file.lastIndexOf("/");
  return at <= 0 ? (at === 0 ? "/" : ".") : file.slice(0, at);
}

function resolvePath(file: string, path: string): string {
  if (path.startsWith("/")) return path;
  return `${dirOf(file)}/${path.replace(/^(?:\.\/)+/, "")}`;
}

function invalid(file: string, detail: string): KubeconfigError {
  return new KubeconfigError(`"${file}" is not a valid kubeconfig: ${detail}`, {
    file,
    hint: `check it with \`kubectl config view --kubeconfig ${file}\``,
  });
}

function str(file: string, where: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(file, `${where} is not a string`);
  return value;
}

/** Parses one kubeconfig file's text; exported for tests. */
export function parseKubeconfig(text: string, file: string): Rec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw invalid(file, detail);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRec(doc)) throw invalid(file, "the document is not a mapping");
  for (const key of ["clusters", "users", "contexts"] as const) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw invalid(file, `${key} is not a list`);
    list.forEach((entry, i) => {
      const inner = key.slice(0, -1);
      if (!isRec(entry) || typeof entry.name !== "string") {
        throw invalid(file, `${key}[${i}] has no name`);
      }
      if (entry[inner] !== undefined && entry[inner] !== null && !isRec(entry[inner])) {
        throw invalid(file, `${key}[${i}].${inner} is not a mapping`);
      }
    });
  }
  str(file, "current-context", doc["current-context"]);
  return doc;
}

async function readConfig(file: string, required: boolean): Promise<Rec | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !required) return undefined;
    const detail = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new KubeconfigError(`Cannot read kubeconfig "${file}": ${detail}`, {
      file,
      hint: "pass an existing file with --kubeconfig or set KUBECONFIG",
    });
  }
  return parseKubeconfig(text, file);
}

function merge(into: Merged, doc: Rec, file: string): void {
  into.files.push(file);
  const add = (map: Map<string, Named>, list: unknown, inner: string): void => {
    if (!Array.isArray(list)) return;
    for (const entry of list as Rec[]) {
      const name = entry.name as string;
      if (!map.has(name)) map.set(name, { item: isRec(entry[inner]) ? entry[inner] : {}, file });
    }
  };
  add(into.clusters, doc.clusters, "cluster");
  add(into.users, doc.users, "user");
  add(into.contexts, doc.contexts, "context");
  const current = doc["current-context"];
  if (into.currentContext === undefined && typeof current === "string" && current !== "") {
    into.currentContext = current;
  }
}

/** The files kubectl would read, in order. */
export function kubeconfigFiles(options: LoadKubeconfigOptions = {}): string[] {
  if (options.path) return [options.path];
  const env = options.env ?? Deno.env.toObject();
  const list = (env.KUBECONFIG ?? "").split(":").filter((p) => p !== "");
  if (list.length > 0) return [...new Set(list)];
  const home = env.HOME ?? env.USERPROFILE ?? "";
  return [`${home}/.kube/config`];
}

async function readData(
  file: string,
  where: string,
  data: unknown,
  path: unknown,
): Promise<string | undefined> {
  const b64 = str(file, `${where}-data`, data);
  if (b64) {
    try {
      const bytes = Uint8Array.from(atob(b64.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
      return new TextDecoder().decode(bytes);
    } catch {
      throw invalid(file, `${where}-data is not base64`);
    }
  }
  const name = str(file, where, path);
  if (!name) return undefined;
  const full = resolvePath(file, name);
  try {
    return await Deno.readTextFile(full);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new KubeconfigError(`Cannot read ${where} "${full}" named in "${file}": ${detail}`, {
      file,
    });
  }
}

function execConfig(file: string, user: string, raw: Rec): ExecConfig {
  const where = `users "${user}" exec`;
  const command = str(file, `${where}.command`, raw.command);
  if (!command) throw invalid(file, `${where} has no command`);
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw invalid(file, `${where}.args is not a list of strings`);
  }
  const env = raw.env ?? [];
  if (!Array.isArray(env) || env.some((e) => !isRec(e) || typeof e.name !== "string")) {
    throw invalid(file, `${where}.env is not a list of {name, value}`);
  }
  const apiVersion = str(file, `${where}.apiVersion`, raw.apiVersion) ??
    "client.authentication.k8s.io/v1";
  if (!/^client\.authentication\.k8s\.io\/(v1|v1beta1)$/.test(apiVersion)) {
    throw invalid(file, `${where}.apiVersion "${apiVersion}" is not supported (v1 or v1beta1)`);
  }
  return {
    command: command.includes("/") ? resolvePath(file, command) : command,
    args: args as string[],
    env: (env as Rec[]).map((e) => ({ name: e.name as string, value: String(e.value ?? "") })),
    apiVersion,
    interactiveMode: str(file, `${where}.interactiveMode`, raw.interactiveMode) ?? "IfAvailable",
    provideClusterInfo: raw.provideClusterInfo === true,
    installHint: str(file, `${where}.installHint`, raw.installHint),
    dir: dirOf(file),
  };
}

/**
 * Reads the kubeconfig (explicit path, `$KUBECONFIG` or `~/.kube/config`)
 * and resolves a context: the named one or current-context.
 */
export async function loadKubeconfig(
  options: LoadKubeconfigOptions = {},
): Promise<ResolvedKubeconfig> {
  const files = kubeconfigFiles(options);
  const merged: Merged = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    files: [],
  };
  for (const file of files) {
    const doc = await readConfig(file, options.path !== undefined);
    if (doc) merge(merged, doc, file);
  }
  const shown = files.join(":");
  if (merged.files.length === 0) {
    throw new KubeconfigError(`Cannot load kubeconfig: no file found at "${shown}"`, {
      hint: "set KUBECONFIG or pass --kubeconfig",
    });
  }
  return resolveContext(merged, options.context);
}

async function resolveContext(merged: Merged, wanted?: string): Promise<ResolvedKubeconfig> {
  const shown = merged.files.join(":");
  const name = wanted ?? merged.currentContext;
  if (!name) {
    throw new KubeconfigError(`Cannot choose a context: "${shown}" has no current-context`, {
      file: merged.files[0],
      hint: "pass --context or run `kubectl config use-context NAME`",
    });
  }
  const context = merged.contexts.get(name);
  if (!context) {
    const known = [...merged.contexts.keys()].map((c) => `"${c}"`).join(", ") || "none";
    throw new KubeconfigError(
      `Cannot use context "${name}": not found in "${shown}" (contexts: ${known})`,
      { file: merged.files[0], hint: "list them with `kubectl config get-contexts`" },
    );
  }
  const ctx = context.item;
  const clusterName = str(context.file, `contexts "${name}".cluster`, ctx.cluster);
  const userName = str(context.file, `contexts "${name}".user`, ctx.user) ?? "";
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined;
  if (!cluster) {
    throw new KubeconfigError(
      `Cannot use context "${name}": its cluster "${clusterName ?? ""}" is not in "${shown}"`,
      { file: context.file, hint: "fix the context with `kubectl config set-context`" },
    );
  }
  const user = merged.users.get(userName);
  if (userName !== "" && !user) {
    throw new KubeconfigError(
      `Cannot use context "${name}": its user "${userName}" is not in "${shown}"`,
      { file: context.file, hint: "fix the context with `kubectl config set-context`" },
    );
  }
  return {
    context: name,
    namespace: str(context.file, `contexts "${name}".namespace`, ctx.namespace) || "default",
    cluster: await resolveCluster(clusterName!, cluster),
    user: user ? await resolveUser(userName, user) : { name: userName },
    files: merged.files,
  };
}

async function resolveCluster(name: string, { item: c, file }: Named): Promise<ResolvedCluster> {
  const server = str(file, `clusters "${name}".server`, c.server);
  if (!server) throw invalid(file, `clusters "${name}" has no server`);
  try {
    new URL(server);
  } catch {
    throw invalid(file, `clusters "${name}" server "${server}" is not a URL`);
  }
  return {
    name,
    server: server.replace(/\/+$/, ""),
    caPem: await readData(
      file,
      "certificate-authority",
      c["certificate-authority-data"],
      c["certificate-authority"],
    ),
    insecureSkipTlsVerify: c["insecure-skip-tls-verify"] === true,
    proxyUrl: str(file, `clusters "${name}".proxy-url`, c["proxy-url"]),
    tlsServerName: str(file, `clusters "${name}".tls-server-name`, c["tls-server-name"]),
  };
}

async function resolveUser(name: string, { item: u, file }: Named): Promise<ResolvedUser> {
  const tokenFile = str(file, `users "${name}".tokenFile`, u.tokenFile);
  const provider = u["auth-provider"];
  return {
    name,
    token: str(file, `users "${name}".token`, u.token) || undefined,
    tokenFile: tokenFile ? resolvePath(file, tokenFile) : undefined,
    clientCertPem: await readData(
      file,
      "client-certificate",
      u["client-certificate-data"],
      u["client-certificate"],
    ),
    clientKeyPem: await readData(file, "client-key", u["client-key-data"], u["client-key"]),
    exec: isRec(u.exec) ? execConfig(file, name, u.exec) : undefined,
    username: str(file, `users "${name}".username`, u.username),
    password: str(file, `users "${name}".password`, u.password),
    authProvider: isRec(provider) ? String(provider.name ?? "unknown") : undefined,
  };
}
