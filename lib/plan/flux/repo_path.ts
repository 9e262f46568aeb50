/**
 * Where the rendered folder sits in the Git repository Flux reads: the
 * Kustomizations' paths are relative to that repository's root.
 */

/**
 * `out` relative to the nearest enclosing Git checkout (a folder holding
 * `.git`); outside one, `given` when it is a plain relative path, else the
 * folder's own name.
 */
export function fluxRepoPath(out: string, given: string): string {
  const abs = normalize(out);
  for (let dir = abs; dir !== ""; dir = parent(dir)) {
    if (exists(`${dir}/.git`)) return abs.slice(dir.length + 1) || ".";
  }
  const rel = given.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (rel !== "" && !rel.startsWith("/") && !rel.split("/").includes("..")) return rel;
  return abs.slice(abs.lastIndexOf("/") + 1) || ".";
}

/** `/a/./b/../c/` -> `/a/c` */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

function parent(dir: string): string {
  return dir.slice(0, dir.lastIndexOf("/"));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
