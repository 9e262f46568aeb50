import { assertEquals, assertStringIncludes } from "../../_assert.ts";
import { stepsText, upgradePath } from "../../../lib/plan/upgrade.ts";

const all = (v: string, dp: string = v) => ({
  base: v,
  controlPlane: v,
  dataPlane: { "istio-cni": dp, ztunnel: dp },
});

Deno.test("upgradePath() installs when nothing is installed and does nothing when all match", () => {
  assertEquals(upgradePath({}, "1.30.3"), { ok: true, change: "install", steps: ["1.30.3"] });
  assertEquals(upgradePath(all("1.30.3"), "1.30.3"), {
    ok: true,
    change: "none",
    from: "1.30.3",
    steps: [],
  });
});

Deno.test("upgradePath() allows a patch and a one-minor upgrade in place", () => {
  const patch = upgradePath(all("1.30.3"), "1.30.4");
  assertEquals([patch.ok, patch.change, patch.from, patch.steps], [true, "patch", "1.30.3", [
    "1.30.4",
  ]]);
  const minor = upgradePath(all("1.29.2"), "1.30.3");
  assertEquals([minor.ok, minor.change, minor.steps], [true, "minor", ["1.30.3"]]);
  // a data plane one minor behind its control plane may follow it to the next patch
  assertEquals(upgradePath(all("1.30.3", "1.29.2"), "1.30.4").ok, true);
});

Deno.test("upgradePath() refuses a skipped minor and names every line to go through", () => {
  const skip = upgradePath(all("1.28.1"), "1.30.3");
  assertEquals([skip.ok, skip.change, skip.steps], [false, "refused", ["1.29.x", "1.30.3"]]);
  assertStringIncludes(skip.reason ?? "", "2 minors behind 1.30.3");
  assertEquals(stepsText(skip.steps), "first 1.29.x, then 1.30.3");
  const two = upgradePath(all("1.27.0"), "1.30.3");
  assertEquals(stepsText(two.steps), "first 1.28.x, then 1.29.x, then 1.30.3");
});

Deno.test("upgradePath() refuses a data plane that would end two minors behind the control plane", () => {
  // istiod 1.29 is one minor from 1.30, but ztunnel 1.28 would be two behind
  const r = upgradePath(all("1.29.2", "1.28.4"), "1.30.3");
  assertEquals([r.ok, r.from, r.steps], [false, "1.29.2", ["1.29.x", "1.30.3"]]);
  assertStringIncludes(r.reason ?? "", "istio-cni 1.28.4");
});

Deno.test("upgradePath() refuses a downgrade across minors and allows one within a minor", () => {
  const across = upgradePath(all("1.30.3"), "1.29.2");
  assertEquals([across.ok, across.change, across.steps], [false, "refused", []]);
  assertStringIncludes(across.reason ?? "", "downgrade across minors");
  const within = upgradePath(all("1.30.3"), "1.30.1");
  assertEquals([within.ok, within.change], [true, "downgrade"]);
  // a data plane ahead of the control plane counts too
  assertEquals(upgradePath(all("1.29.2", "1.30.3"), "1.29.4").ok, false);
});

Deno.test("upgradePath() refuses versions it cannot read and a change of major version", () => {
  assertEquals(upgradePath({}, "latest").ok, false);
  assertStringIncludes(upgradePath(all("1.30.3"), "2.0.0").reason ?? "", "major");
  assertStringIncludes(
    upgradePath({ controlPlane: "dev" }, "1.30.3").reason ?? "",
    'installed istiod version "dev"',
  );
});

Deno.test("stepsText() reads one step as itself and none as nothing", () => {
  assertEquals(stepsText([]), "");
  assertEquals(stepsText(["1.30.4"]), "1.30.4");
});
