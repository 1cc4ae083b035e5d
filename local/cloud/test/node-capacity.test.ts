import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vmSizes } from "../src/arm/catalog.js";
import { vCpusOfVmSize } from "../src/kube/controllers/nodes.js";

// The Kubernetes side reads a node's vCPUs from its VM size name, so that it needs nothing from
// the ARM side: every size ARM offers must name its vCPUs the way its catalog counts them.
describe("node capacity from the VM size name", () => {
  it("gives the catalog's vCPUs for every VM size ARM offers, in any case", () => {
    for (const [name, size] of Object.entries(vmSizes)) {
      assert.equal(vCpusOfVmSize(name), size.vCpus, name);
      assert.equal(vCpusOfVmSize(name.toLowerCase()), size.vCpus, name.toLowerCase());
    }
  });

  it("knows no vCPUs for a name outside Azure's scheme", () => {
    assert.equal(vCpusOfVmSize("custom"), undefined);
  });
});
