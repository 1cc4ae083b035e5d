import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { DEPLOYMENT_REGION_NAMES } from "../../lib/domain/regions.js";
import { DEFAULT_BESU_IMAGE, desiredStateSchema } from "../../lib/domain/spec.js";
import {
  clusterVcpus,
  formatPath,
  parseSpecText,
  totalValidators,
  validateSpec,
} from "../../lib/domain/spec-validation.js";
import { problemsOf, validSpec } from "./helpers.js";

function pathsOf(problems: ReadonlyArray<{ path: string }>): string[] {
  return problems.map((problem) => problem.path);
}

function messageAt(problems: ReadonlyArray<{ path: string; message: string }>, path: string): string {
  const problem = problems.find((entry) => entry.path === path);
  assert.ok(problem, `expected a problem at ${path}, got ${JSON.stringify(problems)}`);
  return problem.message;
}

describe("desired state defaults", () => {
  it("fills a minimal spec with Chain 138, the 24 regions and the documented defaults", () => {
    const spec = validSpec();
    assert.equal(spec.apiVersion, "besu-fleet/v1");
    assert.equal(spec.network.chainId, 138);
    assert.equal(spec.network.besuImage, DEFAULT_BESU_IMAGE);
    assert.deepEqual(spec.network.qbft, { blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 4 });
    assert.equal(spec.network.gasLimit, "0x1fffffffffffff");
    assert.deepEqual(spec.network.alloc, {});
    assert.deepEqual(spec.network.resources.validator, { cpu: "500m", memory: "2Gi", storage: "20Gi" });
    assert.deepEqual(
      spec.regions.map((region) => region.name),
      DEPLOYMENT_REGION_NAMES,
    );
    assert.ok(
      spec.regions.every((region) => region.validators === 1 && region.sentries === 1 && region.clusters === 1),
    );
    assert.equal(spec.adminRegion, "westeurope");
    assert.equal(spec.cluster.kubernetesVersion, "1.32");
    assert.equal(clusterVcpus(spec.cluster.nodePools).vcpus, 6);
    assert.equal(spec.cluster.vcpuBudgetPerRegion, undefined);
    assert.equal(spec.rollout.maxParallelRegions, 24);
    assert.equal(spec.rollout.minValidators, 4);
    assert.deepEqual(spec.rollout.retry, {
      maxAttempts: 5,
      firstRetryIntervalSeconds: 5,
      backoffCoefficient: 2,
      maxRetryIntervalSeconds: 120,
    });
    assert.equal(totalValidators(spec), 24);
    assert.equal(spec.contracts, undefined);
  });

  it("fills defaults inside a region entry and does not share default arrays between specs", () => {
    const spec = validSpec({ regions: [{ name: "uksouth", validators: 4 }] });
    assert.deepEqual(spec.regions, [{ name: "uksouth", validators: 4, sentries: 1, clusters: 1 }]);
    spec.cluster.nodePools[0].count = 99;
    assert.equal(validSpec().cluster.nodePools[0].count, 1);
  });
});

describe("desired state rules", () => {
  it("rejects the admin region as a node host, saying why", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      regions: [
        { name: "northeurope", validators: 4 },
        { name: "westeurope", validators: 1 },
      ],
    });
    assert.deepEqual(pathsOf(problems), ["regions[1].name"]);
    assert.match(problems[0].message, /westeurope is the admin region/);
    assert.match(problems[0].message, /never hosts validators or sentries/);
  });

  it("rejects another admin region than westeurope", () => {
    const problems = problemsOf({ network: { name: "chain138" }, adminRegion: "northeurope" });
    assert.match(messageAt(problems, "adminRegion"), /must be westeurope/);
  });

  it("names unknown regions and suggests the ARM name for a display name", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      regions: [{ name: "eastus", validators: 4 }, { name: "Japan East" }],
    });
    assert.match(messageAt(problems, "regions[0].name"), /unknown region 'eastus'.*northeurope/);
    assert.match(messageAt(problems, "regions[1].name"), /did you mean 'japaneast'/);
  });

  it("rejects duplicate regions, pointing at the repeat and the first entry", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      regions: [{ name: "uksouth", validators: 2 }, { name: "ukwest", validators: 2 }, { name: "uksouth" }],
    });
    assert.match(messageAt(problems, "regions[2].name"), /listed more than once \(first at regions\[0\]\)/);
  });

  it("rejects fewer validators in total than the policy minimum", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      regions: [{ name: "uksouth" }, { name: "ukwest" }, { name: "japaneast" }],
    });
    assert.match(messageAt(problems, "regions"), /3 validators in total, fewer than rollout\.minValidators \(4\)/);
    const stricter = problemsOf({ network: { name: "chain138" }, rollout: { minValidators: 25 } });
    assert.match(messageAt(stricter, "regions"), /24 validators in total, fewer than rollout\.minValidators \(25\)/);
  });

  it("counts validators per cluster when a region has several clusters", () => {
    const spec = validSpec({
      regions: [
        { name: "uksouth", clusters: 2 },
        { name: "ukwest", clusters: 2 },
      ],
    });
    assert.equal(totalValidators(spec), 4);
  });

  it("never accepts a policy minimum below 4 validators", () => {
    const problems = problemsOf({ network: { name: "chain138" }, rollout: { minValidators: 3 } });
    assert.match(messageAt(problems, "rollout.minValidators"), /at least 4/);
  });

  it("rejects a region that runs nothing", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      regions: [
        { name: "uksouth", validators: 4 },
        { name: "ukwest", validators: 0, sentries: 0 },
      ],
    });
    assert.match(messageAt(problems, "regions[1]"), /at least one validator or sentry/);
  });

  it("enforces the per-region vCPU budget for one cluster and for several clusters", () => {
    const tooBig = problemsOf({
      network: { name: "chain138" },
      cluster: {
        vcpuBudgetPerRegion: 10,
        nodePools: [
          { name: "system", mode: "System", vmSize: "Standard_D4s_v5", count: 1 },
          { name: "besu", vmSize: "Standard_D4s_v5", count: 2 },
        ],
      },
    });
    assert.deepEqual(pathsOf(tooBig), ["cluster.nodePools"]);
    assert.match(
      tooBig[0].message,
      /one cluster needs 12 vCPUs \(system: 1 × Standard_D4s_v5 \(4 vCPUs\), besu: 2 × Standard_D4s_v5 \(4 vCPUs\)\), above cluster\.vcpuBudgetPerRegion \(10\)/,
    );

    const tooMany = problemsOf({
      network: { name: "chain138" },
      cluster: { vcpuBudgetPerRegion: 10 },
      regions: [{ name: "uksouth", validators: 4, clusters: 2 }],
    });
    assert.match(messageAt(tooMany, "regions[0].clusters"), /uksouth needs 12 vCPUs \(2 clusters × 6\)/);
    assert.equal(
      validSpec({ cluster: { vcpuBudgetPerRegion: 12 }, regions: [{ name: "uksouth", validators: 4, clusters: 2 }] })
        .regions[0].clusters,
      2,
    );
  });

  it("checks node pools: known VM sizes, unique names, a System pool", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      cluster: {
        nodePools: [
          { name: "besu", vmSize: "Standard_Z99", count: 1 },
          { name: "besu", vmSize: "standard_d2s_v5", count: 1 },
        ],
      },
    });
    assert.match(
      messageAt(problems, "cluster.nodePools[0].vmSize"),
      /unknown VM size 'Standard_Z99'; known sizes: .*Standard_D2s_v5/,
    );
    assert.match(messageAt(problems, "cluster.nodePools[1].name"), /used more than once/);
    assert.match(messageAt(problems, "cluster.nodePools"), /mode System/);
  });

  it("requires a pinned Besu image", () => {
    assert.match(
      messageAt(
        problemsOf({ network: { name: "chain138", besuImage: "hyperledger/besu:latest" } }),
        "network.besuImage",
      ),
      /pin a version/,
    );
    assert.match(
      messageAt(problemsOf({ network: { name: "chain138", besuImage: "hyperledger/besu" } }), "network.besuImage"),
      /pin a version/,
    );
    assert.match(
      messageAt(problemsOf({ network: { name: "chain138", besuImage: "Not An Image" } }), "network.besuImage"),
      /container image reference/,
    );
    const digest = `hyperledger/besu@sha256:${"ab".repeat(32)}`;
    assert.equal(validSpec({ network: { name: "chain138", besuImage: digest } }).network.besuImage, digest);
    assert.equal(
      validSpec({ network: { name: "chain138", besuImage: "myregistry.azurecr.io/besu/besu:24.10.0" } }).network
        .besuImage,
      "myregistry.azurecr.io/besu/besu:24.10.0",
    );
  });

  it("requires the QBFT request timeout to exceed the block period", () => {
    const problems = problemsOf({
      network: { name: "chain138", qbft: { blockperiodseconds: 5, requesttimeoutseconds: 5 } },
    });
    assert.match(messageAt(problems, "network.qbft.requesttimeoutseconds"), /greater than blockperiodseconds \(5\)/);
  });

  it("checks the retry policy's bounds against each other", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      rollout: { retry: { firstRetryIntervalSeconds: 60, maxRetryIntervalSeconds: 10 } },
    });
    assert.match(
      messageAt(problems, "rollout.retry.maxRetryIntervalSeconds"),
      /at least firstRetryIntervalSeconds \(60\)/,
    );
  });

  it("validates network names used in resource names", () => {
    for (const name of ["Chain138", "1chain", "chain-", "a", "x".repeat(21), "chain_138"]) {
      assert.deepEqual(pathsOf(problemsOf({ network: { name } })), ["network.name"], name);
    }
  });

  it("checks genesis alloc addresses and balances, quoting odd keys in paths", () => {
    const problems = problemsOf({
      network: { name: "chain138", alloc: { "0x12": { balance: "0x1" }, ["0x" + "a".repeat(40)]: { balance: "100" } } },
    });
    assert.match(messageAt(problems, 'network.alloc["0x12"]'), /20-byte hex address/);
    assert.match(messageAt(problems, `network.alloc["0x${"a".repeat(40)}"].balance`), /0x-hex quantity/);
  });

  it("rejects unknown fields so that typos do not pass silently", () => {
    const problems = problemsOf({ network: { name: "chain138" }, regions: [{ name: "uksouth", validator: 4 }] });
    assert.match(messageAt(problems, "regions[0]"), /Unrecognized key: "validator"/);
  });

  it("lists every problem of a spec at once, with paths", () => {
    const problems = problemsOf({
      network: { name: "Chain 138", chainId: "138", qbft: { epochlength: 0 } },
      regions: [
        { name: "northeurope", validators: 1 },
        { name: "westeurope", validators: 1 },
        { name: "northeurope", sentries: -1 },
        { name: "atlantis" },
      ],
      cluster: {
        kubernetesVersion: 1.3,
        nodePools: [{ name: "system", mode: "System", vmSize: "Standard_Q1", count: 0 }],
      },
      rollout: { maxParallelRegions: 0, minValidators: 2 },
      extra: true,
    });
    const paths = pathsOf(problems);
    for (const expected of [
      "network.name",
      "network.chainId",
      "network.qbft.epochlength",
      "regions[1].name",
      "regions[2].sentries",
      "regions[2].name",
      "regions[3].name",
      "cluster.kubernetesVersion",
      "cluster.nodePools[0].vmSize",
      "cluster.nodePools[0].count",
      "rollout.maxParallelRegions",
      "rollout.minValidators",
      "",
    ]) {
      assert.ok(paths.includes(expected), `missing ${expected} in ${JSON.stringify(problems, null, 1)}`);
    }
    assert.match(messageAt(problems, "cluster.kubernetesVersion"), /quote it/);
    assert.match(messageAt(problems, ""), /Unrecognized key: "extra"/);
  });

  it("requires an object and a network", () => {
    assert.deepEqual(pathsOf(problemsOf([])), [""]);
    assert.deepEqual(pathsOf(problemsOf("spec")), [""]);
    assert.deepEqual(pathsOf(problemsOf({})), ["network"]);
  });
});

describe("spec text", () => {
  it("parses YAML and JSON to the same spec", () => {
    const yaml = parseSpecText("network:\n  name: chain138\nregions:\n  - name: uksouth\n    validators: 4\n");
    const json = parseSpecText('{"network": {"name": "chain138"}, "regions": [{"name": "uksouth", "validators": 4}]}');
    assert.ok(yaml.ok && json.ok);
    assert.deepEqual(yaml.spec, json.spec);
    const forcedYaml = parseSpecText('{"network": {"name": "chain138"}}', "yaml");
    assert.ok(forcedYaml.ok);
  });

  it("reports syntax errors with their position", () => {
    const badJson = parseSpecText('{"network": }');
    assert.ok(!badJson.ok);
    assert.equal(badJson.problems[0].path, "");
    assert.match(badJson.problems[0].message, /^not valid JSON: /);
    const badYaml = parseSpecText("network:\n  name: [chain138\n");
    assert.ok(!badYaml.ok);
    assert.match(badYaml.problems[0].message, /^not valid YAML: .*line/s);
    const duplicateKey = parseSpecText("network:\n  name: a1\nnetwork:\n  name: b2\n");
    assert.ok(!duplicateKey.ok);
    assert.match(duplicateKey.problems[0].message, /unique/i);
  });

  it("treats empty text as a problem and reports schema problems of YAML input", () => {
    const empty = parseSpecText("  \n");
    assert.ok(!empty.ok);
    assert.equal(empty.problems[0].message, "the spec is empty");
    const unquoted = parseSpecText("network:\n  name: chain138\ncluster:\n  kubernetesVersion: 1.30\n");
    assert.ok(!unquoted.ok);
    assert.match(messageAt(unquoted.problems, "cluster.kubernetesVersion"), /quote it/);
  });
});

describe("spec schema as JSON Schema", () => {
  it("converts to a JSON Schema for OpenAPI, with defaults and descriptions", () => {
    const schema = z.toJSONSchema(desiredStateSchema, { io: "input" });
    assert.equal(schema.type, "object");
    assert.deepEqual(schema.required, ["network"]);
    const properties = schema.properties ?? {};
    assert.deepEqual(Object.keys(properties).sort(), [
      "adminRegion",
      "apiVersion",
      "ccip",
      "chains",
      "cluster",
      "contracts",
      "drift",
      "funding",
      "network",
      "regions",
      "rollout",
    ]);
    assert.match(JSON.stringify(properties.adminRegion), /westeurope/);
    assert.match(JSON.stringify(properties.rollout), /minValidators/);
  });
});

describe("formatPath", () => {
  it("formats zod paths as operators read them", () => {
    assert.equal(formatPath([]), "");
    assert.equal(formatPath(["regions", 3, "validators"]), "regions[3].validators");
    assert.equal(formatPath(["network", "alloc", "0xab", "balance"]), 'network.alloc["0xab"].balance');
  });
});

describe("validateSpec on the decoded value", () => {
  it("returns the spec unchanged in meaning when valid twice", () => {
    const first = validSpec({ regions: [{ name: "uksouth", validators: 4 }] });
    const again = validateSpec(JSON.parse(JSON.stringify(first)));
    assert.ok(again.ok);
    assert.deepEqual(again.spec, first);
  });
});
