/**
 * Namespaces: the default ServiceAccount, and finalisation of a namespace
 * being deleted (its content deleted, then its finalizers cleared).
 *
 * @module
 */

import { arr, rec } from "../object.ts";
import type { ControllerContext } from "./_context.ts";
import { condition } from "./_objects.ts";

/** The namespace controller. */
export class NamespaceController {
  #ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** Creates the ServiceAccount `default` in `namespace` unless it exists. */
  ensureDefaultServiceAccount(namespace: string): void {
    const saType = this.#ctx.type("", "serviceaccounts");
    if (this.#ctx.api.peek(saType, namespace, "default")) return;
    this.#ctx.api.controllerCreate(saType, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default", namespace },
    });
  }

  /** Finalises namespace `name` if it is being deleted. */
  namespace(name: string): void {
    const ns = this.#ctx.api.store.peek("/namespaces", undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const gr of this.#ctx.api.store.groupResources()) {
      if (gr === "/namespaces") continue;
      const slash = gr.indexOf("/");
      const type = this.#ctx.api.registry.findAnyVersion(gr.slice(0, slash), gr.slice(slash + 1));
      for (const obj of this.#ctx.api.store.peekList(gr, name)) {
        if (!type) {
          this.#ctx.api.store.remove(gr, name, obj.metadata.name ?? "", "controller");
          continue;
        }
        if (!obj.metadata.deletionTimestamp) {
          this.#ctx.api.controllerDelete(type, name, obj.metadata.name ?? "");
        }
        if (this.#ctx.api.store.peek(gr, name, obj.metadata.name ?? "")) remaining++;
      }
    }
    if (remaining > 0) {
      const status = {
        ...rec(ns.status),
        phase: "Terminating",
        conditions: [condition(
          rec(ns.status).conditions,
          "NamespaceContentRemaining",
          "True",
          "SomeResourcesRemain",
          `Some resources are remaining: ${remaining} objects`,
        )],
      };
      this.#ctx.api.writeStatus(this.#ctx.type("", "namespaces"), ns, status);
      return;
    }
    if (arr(rec(ns.spec).finalizers).length > 0) {
      this.#ctx.api.finalizeNamespace(name, { spec: { finalizers: [] } });
    }
  }
}
