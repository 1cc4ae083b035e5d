/**
 * The spec's policy for changing a live network, part of the `rollout` section: how many
 * validators a rollout may take down at once while it restarts them in waves, and what happens
 * to the cluster of a region dropped from the spec once its validators were voted out. The
 * fields are spread into `rolloutPolicySchema` (lib/domain/spec.ts); how they relate to the
 * network's size (never above f) is checked by the change plan, which knows the recorded set.
 */
import { z } from "zod";

export const changePolicyShape = {
  maxUnavailableValidators: z
    .int()
    .min(1)
    .max(16)
    .default(1)
    .describe(
      "Validators restarted at once in a wave of a change to a live network; never above f = ⌊(n − 1) / 3⌋ of its n validators (a plan that needs more is refused).",
    ),
  deprovision: z
    .enum(["retain", "delete"])
    .default("retain")
    .describe(
      "What happens to the clusters of a region dropped from the spec once its validators were voted out and its pods stopped: kept (retain) or deleted.",
    ),
};
