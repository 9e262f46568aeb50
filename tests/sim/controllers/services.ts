/**
 * LoadBalancer Services: an address from the pool (or the one requested by
 * spec.loadBalancerIP or a MetalLB / Cilium annotation) after a delay.
 *
 * @module
 */

import { arr, rec, str } from "../object.ts";
import type { ControllerContext } from "./_context.ts";

/** The service (load balancer) controller. */
export class ServiceController {
  #ctx: ControllerContext;
  #lbAssigned = new Map<string, string>();
  #lbNext = 0;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** Forgets the address of a deleted Service. */
  forget(uid: string): void {
    this.#lbAssigned.delete(uid);
  }

  /** Reconciles one Service. */
  service(namespace: string, name: string): void {
    const type = this.#ctx.type("", "services");
    const svc = this.#ctx.api.peek(type, namespace, name);
    if (!svc || svc.metadata.deletionTimestamp) return;
    const spec = rec(svc.spec);
    const uid = svc.metadata.uid ?? "";
    if (spec.type !== "LoadBalancer") {
      if (Object.keys(rec(rec(svc.status).loadBalancer)).length > 0) {
        this.#ctx.api.writeStatus(type, svc, { ...rec(svc.status), loadBalancer: {} });
      }
      this.#lbAssigned.delete(uid);
      return;
    }
    const fault = this.#ctx.api.faults.forObject(svc);
    if (fault?.fault === "never-ready") return;
    const rollout = this.#ctx.ready("service", svc, "lb");
    if (!rollout.ready) return;
    let ip = this.#lbAssigned.get(uid);
    if (!ip) {
      const annotations = svc.metadata.annotations ?? {};
      const requested = str(spec.loadBalancerIP) ||
        (annotations["metallb.universe.tf/loadBalancerIPs"] ??
          annotations["metallb.io/loadBalancerIPs"] ??
          annotations["lbipam.cilium.io/ips"] ?? annotations["io.cilium/lb-ipam-ips"] ?? "").split(
            ",",
          )[0].trim();
      const pool = this.#ctx.options.loadBalancerIps;
      ip = requested || pool[this.#lbNext++ % Math.max(1, pool.length)] || "127.0.0.2";
      this.#lbAssigned.set(uid, ip);
    }
    this.#ctx.api.writeStatus(type, svc, {
      ...rec(svc.status),
      loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] },
    });
    if (!arr(rec(rec(svc.status).loadBalancer).ingress).length) {
      this.#ctx.events.record(
        svc,
        "Normal",
        "IPAllocated",
        `Assigned IP ["${ip}"]`,
        "service-controller",
      );
    }
  }
}
