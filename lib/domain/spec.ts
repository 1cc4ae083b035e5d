/**
 * The desired state of a Besu QBFT network: what the operator submits (YAML or JSON) and what a
 * rollout converges the fleet to. The zod schema is the single source for validation, for the
 * TypeScript types and (through `z.toJSONSchema`) for the OpenAPI document.
 *
 * Validation has two layers. The schema checks each field on its own. `validateSpec`
 * (lib/domain/spec-validation.ts) adds the checks that relate fields to each other or to the
 * catalogs (regions, VM sizes) and runs them on every part of the input that is valid on its own,
 * so that one submission lists every problem.
 */
import { z } from "zod";
import { ccipSchema, chainsSchema, contractsSchema, fundingSchema } from "./contracts-spec.js";
import { changePolicyShape } from "./changes/policy.js";
import { driftSpecSchema } from "./drift/spec.js";
import { ADMIN_REGION, DEPLOYMENT_REGIONS } from "./regions.js";
import { findVmSize, knownVmSizeNames } from "./vm-sizes.js";

/** Besu image used when the spec names none; pinned so that every region runs the same build. */
export const DEFAULT_BESU_IMAGE = "hyperledger/besu:24.10.0";
/** Chain 138's chain id (`eth_chainId` 0x8a). */
export const CHAIN_138 = 138;
/** Besu's documented QBFT genesis gas limit for private networks. */
export const DEFAULT_GAS_LIMIT = "0x1fffffffffffff";
/** QBFT cannot tolerate a faulty validator with fewer than 4 (f = floor((n − 1) / 3)). */
export const MINIMUM_VALIDATORS_FLOOR = 4;

const NETWORK_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const IMAGE_REFERENCE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$/;
const KUBERNETES_QUANTITY = /^[0-9]+(?:\.[0-9]+)?(?:m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const HEX_QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NODE_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
const KUBERNETES_VERSION = /^[0-9]+\.[0-9]+(?:\.[0-9]+)?$/;

/** An error callback for string fields that YAML may have read as a number (1.30 → 1.3). */
function stringOrQuoteHint(example: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined
      ? "is required"
      : `must be a string such as "${example}" (in YAML, quote it: an unquoted value may be read as a number)`;
}

const qbftSchema = z
  .strictObject({
    blockperiodseconds: z
      .int()
      .min(1)
      .max(60)
      .default(2)
      .describe("Target seconds between blocks (config.qbft.blockperiodseconds)."),
    epochlength: z
      .int()
      .min(1)
      .default(30000)
      .describe(
        "Blocks per epoch; pending validator votes reset at each epoch (config.qbft.epochlength). Never changed after genesis.",
      ),
    requesttimeoutseconds: z
      .int()
      .min(1)
      .max(600)
      .default(4)
      .describe(
        "Seconds before a QBFT round times out (config.qbft.requesttimeoutseconds); about twice the block period.",
      ),
  })
  .superRefine((qbft, context) => {
    if (qbft.requesttimeoutseconds <= qbft.blockperiodseconds) {
      context.addIssue({
        code: "custom",
        path: ["requesttimeoutseconds"],
        message: `must be greater than blockperiodseconds (${qbft.blockperiodseconds}): otherwise every round times out before its block is due; about twice the block period is usual`,
      });
    }
  })
  .describe("QBFT consensus parameters written to the genesis config.");

const nodeResourcesSchema = z.strictObject({
  cpu: z
    .string()
    .regex(KUBERNETES_QUANTITY, "must be a Kubernetes quantity such as 500m or 1")
    .default("500m")
    .describe("CPU request of the Besu container."),
  memory: z
    .string()
    .regex(KUBERNETES_QUANTITY, "must be a Kubernetes quantity such as 2Gi")
    .default("2Gi")
    .describe("Memory request and limit of the Besu container."),
  storage: z
    .string()
    .regex(KUBERNETES_QUANTITY, "must be a Kubernetes quantity such as 20Gi")
    .default("20Gi")
    .describe("Size of the node's data volume (PVC `data`)."),
});

const allocAccountSchema = z.strictObject({
  balance: z
    .string()
    .regex(HEX_QUANTITY, "must be a 0x-hex quantity in wei, e.g. 0xad78ebc5ac6200000")
    .describe("Initial balance in wei, 0x-hex."),
});

const networkSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        NETWORK_NAME,
        "must be 2–20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it becomes part of Azure and Kubernetes resource names)",
      )
      .describe("Network name; one rollout runs per network at a time, and resource names derive from it."),
    chainId: z.int().min(1).default(CHAIN_138).describe("EIP-155 chain id (Chain 138 by default)."),
    besuImage: z
      .string()
      .regex(IMAGE_REFERENCE, "must be a container image reference such as hyperledger/besu:24.10.0")
      .refine(
        (image) => hasPinnedVersion(image),
        "must pin a version with a tag other than latest or a digest, so that every region runs the same Besu build",
      )
      .default(DEFAULT_BESU_IMAGE)
      .describe("Besu container image, with a pinned tag or digest."),
    qbft: qbftSchema.prefault({}),
    gasLimit: z
      .string()
      .regex(HEX_QUANTITY, "must be a 0x-hex quantity")
      .default(DEFAULT_GAS_LIMIT)
      .describe("Genesis block gas limit, 0x-hex."),
    alloc: z
      .record(z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte hex address"), allocAccountSchema)
      .default({})
      .describe("Accounts funded in the genesis, by address."),
    resources: z
      .strictObject({
        validator: nodeResourcesSchema.prefault({}),
        sentry: nodeResourcesSchema.prefault({}),
      })
      .prefault({})
      .describe("Kubernetes resources per Besu node, by role."),
  })
  .describe("The chain itself: identity, consensus parameters, genesis accounts and the Besu build.");

export const regionEntrySchema = z
  .strictObject({
    name: z.string().min(1, "is required").describe("ARM name of a deployment region, e.g. northeurope."),
    validators: z.int().min(0).max(16).default(1).describe("Validators per cluster in this region."),
    sentries: z.int().min(0).max(16).default(1).describe("Sentries (RPC and outside P2P) per cluster in this region."),
    clusters: z
      .int()
      .min(1)
      .max(8)
      .default(1)
      .describe("AKS clusters in this region; each runs the validators and sentries above."),
  })
  .superRefine((region, context) => {
    if (region.validators === 0 && region.sentries === 0) {
      context.addIssue({
        code: "custom",
        path: [],
        message: "a region must run at least one validator or sentry; remove regions that host nothing",
      });
    }
  });

const nodePoolSchema = z.strictObject({
  name: z
    .string()
    .regex(
      NODE_POOL_NAME,
      "must be 1–12 lowercase letters and digits, starting with a letter (an AKS Linux node pool name)",
    ),
  mode: z
    .enum(["System", "User"])
    .default("User")
    .describe("System pools run cluster add-ons (every cluster needs one); User pools run workloads."),
  vmSize: z
    .string()
    .min(1, "is required")
    .refine((name) => findVmSize(name) !== undefined, {
      error: (issue) => `unknown VM size '${String(issue.input)}'; known sizes: ${knownVmSizeNames().join(", ")}`,
    })
    .describe("ARM VM size of the pool's nodes."),
  count: z.int().min(1).max(100).describe("Nodes in the pool."),
});

/** Node pools used when the spec gives none: 6 vCPUs, within the strategy's 10 per region. */
export const DEFAULT_NODE_POOLS: ReadonlyArray<z.output<typeof nodePoolSchema>> = Object.freeze([
  { name: "system", mode: "System", vmSize: "Standard_D2s_v5", count: 1 },
  { name: "besu", mode: "User", vmSize: "Standard_D2s_v5", count: 2 },
]);

const clusterSchema = z
  .strictObject({
    kubernetesVersion: z
      .string({ error: stringOrQuoteHint("1.32") })
      .regex(KUBERNETES_VERSION, "must look like 1.32 or 1.32.4")
      .default("1.32")
      .describe("AKS Kubernetes version (quote it in YAML)."),
    nodePools: z
      .array(nodePoolSchema)
      .min(1)
      .default(() => DEFAULT_NODE_POOLS.map((pool) => ({ ...pool })))
      .describe("Node pools of every cluster."),
    storageSku: z
      .enum(["Premium_LRS", "StandardSSD_LRS", "Premium_ZRS", "StandardSSD_ZRS"])
      .default("Premium_LRS")
      .describe("Azure disk SKU of the Besu data volumes."),
    vcpuBudgetPerRegion: z
      .int()
      .min(1)
      .optional()
      .describe(
        "Optional cap on the vCPUs one region's clusters may use; the spec is rejected if a region needs more.",
      ),
  })
  .describe("Shape of every AKS cluster.");

const retrySchema = z
  .strictObject({
    maxAttempts: z
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe("Attempts per step for transient faults, the first included."),
    firstRetryIntervalSeconds: z.int().min(1).max(3600).default(5).describe("Delay before the first retry."),
    backoffCoefficient: z.number().min(1).max(10).default(2).describe("Factor applied to the delay after each retry."),
    maxRetryIntervalSeconds: z
      .int()
      .min(1)
      .max(3600)
      .default(120)
      .describe("Upper bound of the delay between retries."),
  })
  .superRefine((retry, context) => {
    if (retry.maxRetryIntervalSeconds < retry.firstRetryIntervalSeconds) {
      context.addIssue({
        code: "custom",
        path: ["maxRetryIntervalSeconds"],
        message: `must be at least firstRetryIntervalSeconds (${retry.firstRetryIntervalSeconds})`,
      });
    }
  })
  .describe("Retry policy for transient faults (429, 5xx, timeouts); permanent faults are never retried.");

export const rolloutPolicySchema = z
  .strictObject({
    maxParallelRegions: z
      .int()
      .min(1)
      .max(100)
      .default(24)
      .describe("Regions provisioned and deployed at the same time."),
    minValidators: z
      .int()
      .min(
        MINIMUM_VALIDATORS_FLOOR,
        `must be at least ${MINIMUM_VALIDATORS_FLOOR}: QBFT tolerates no faulty validator with fewer`,
      )
      .default(MINIMUM_VALIDATORS_FLOOR)
      .describe("The rollout stops before genesis if fewer validators than this made it through provisioning."),
    retry: retrySchema.prefault({}),
    pollIntervalSeconds: z
      .int()
      .min(1)
      .max(600)
      .default(15)
      .describe("Interval between polls of long-running operations and readiness."),
    clusterTimeoutMinutes: z.int().min(1).max(240).default(45).describe("How long one cluster may take to provision."),
    readinessTimeoutMinutes: z
      .int()
      .min(1)
      .max(240)
      .default(20)
      .describe("How long Besu nodes may take to become ready."),
    verificationWindowSeconds: z
      .int()
      .min(0)
      .max(1800)
      .default(60)
      .describe(
        "How long verification keeps asking a node that did not answer (a transient fault) before it reports the node unreachable.",
      ),
    admissionTimeoutMinutes: z
      .int()
      .min(1)
      .max(240)
      .default(30)
      .describe(
        "How long validators joining a network that already formed may take to be voted into its validator set.",
      ),
    ...changePolicyShape,
  })
  .describe("How the rollout runs.");

/** The desired-state schema (structure and per-field rules; cross-field rules live in validateSpec). */
export const desiredStateSchema = z
  .strictObject({
    apiVersion: z.literal("besu-fleet/v1").default("besu-fleet/v1").describe("Spec format version."),
    network: networkSchema,
    regions: z
      .array(regionEntrySchema)
      .min(1)
      .default(() =>
        DEPLOYMENT_REGIONS.map((region) => ({ name: region.name, validators: 1, sentries: 1, clusters: 1 })),
      )
      .describe(
        "Deployment regions and the nodes each runs; defaults to the strategy's 24 regions with 1 validator and 1 sentry each.",
      ),
    adminRegion: z
      .literal(ADMIN_REGION, { error: `must be ${ADMIN_REGION}: the control plane runs there` })
      .default(ADMIN_REGION)
      .describe("Region of the control plane and admin tooling; it never hosts validators or sentries."),
    cluster: clusterSchema.prefault({}),
    rollout: rolloutPolicySchema.prefault({}),
    chains: chainsSchema.optional(),
    contracts: contractsSchema.optional(),
    ccip: ccipSchema.optional(),
    funding: fundingSchema.optional(),
    drift: driftSpecSchema.prefault({}),
  })
  .describe("Desired state of a Besu QBFT network across Azure regions.");

/** A validated desired state with every default filled in. */
export type DesiredState = z.output<typeof desiredStateSchema>;
/** What an operator may write (defaults optional). */
export type DesiredStateInput = z.input<typeof desiredStateSchema>;
export type RegionSpec = DesiredState["regions"][number];
export type NodePoolSpec = DesiredState["cluster"]["nodePools"][number];
export type ClusterSpec = DesiredState["cluster"];
export type RolloutPolicy = DesiredState["rollout"];
export type RetryPolicy = RolloutPolicy["retry"];
export type NetworkSpec = DesiredState["network"];
export type NodeResources = NetworkSpec["resources"]["validator"];

function hasPinnedVersion(image: string): boolean {
  const match = IMAGE_REFERENCE.exec(image);
  if (match === null) return true; // the format rule reports it
  const tag = match[1];
  return image.includes("@sha256:") || (tag !== undefined && tag !== "latest");
}
