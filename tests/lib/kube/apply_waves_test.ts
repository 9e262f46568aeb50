import { assertEquals } from "../../_assert.ts";
import { applyWaves, WAVE_WIDTH } from "../../../lib/kube/apply_waves.ts";

Deno.test("applyWaves() sends kinds in the order the file first names them, a kind's objects together", () => {
  const kinds = [
    "Namespace",
    "Service",
    "ServiceAccount",
    "Deployment",
    "Service",
    "ServiceAccount",
    "Deployment",
  ];
  assertEquals(applyWaves(kinds.map((kind) => ({ kind }))), [[0], [1, 4], [2, 5], [3, 6]]);
});

Deno.test("applyWaves() splits a kind wider than the bound into consecutive waves", () => {
  const objects = Array.from({ length: WAVE_WIDTH + 2 }, () => ({ kind: "ConfigMap" }));
  const waves = applyWaves([{ kind: "Namespace" }, ...objects]);
  assertEquals(waves.map((w) => w.length), [1, WAVE_WIDTH, 2]);
  assertEquals(waves.flat(), Array.from({ length: WAVE_WIDTH + 3 }, (_, i) => i));
});
