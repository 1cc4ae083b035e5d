/**
 * The resource groups of the simulated subscription: create or update, read, list, and delete as
 * a long-running operation that ends after the slowest of the group's clusters is gone. ARM
 * compares group names ignoring case and keeps the spelling of the first create.
 */
import type { SimClock } from "../clock.js";
import { jitteredDuration } from "../clock.js";
import { normalizeRegion, regions } from "./catalog.js";
import { ArmError } from "./errors.js";
import { operationDurations, type AsyncOperation, type LongRunningOperations } from "./operations.js";
import { parseBody, resourceGroupBodySchema } from "./validation.js";

export interface ResourceGroupRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  deleting: boolean;
}

/**
 * Starts deleting the clusters of a group; returns the simulated ms each delete still takes. The
 * clusters are not the groups' business, so whoever owns them answers.
 */
export type DeleteGroupMembers = (group: ResourceGroupRecord) => number[];

export class ResourceGroups {
  private readonly groups = new Map<string, ResourceGroupRecord>();

  constructor(
    private readonly subscriptionId: string,
    private readonly clock: SimClock,
    private readonly operations: LongRunningOperations,
  ) {}

  put(name: string, body: unknown): { created: boolean; resource: Record<string, unknown> } {
    const request = parseBody(resourceGroupBodySchema, body);
    const location = normalizeRegion(request.location);
    if (location === undefined) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceGroup",
        `The provided location '${request.location}' is not available for resource group. List of available regions is '${Object.keys(regions).join(",")}'.`,
      );
    }
    const existing = this.groups.get(name.toLowerCase());
    if (existing?.deleting) throw beingDeleted(existing);
    if (existing !== undefined && existing.location !== location) {
      throw new ArmError(
        409,
        "InvalidResourceGroupLocation",
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const record: ResourceGroupRecord = {
      name: existing?.name ?? name,
      location,
      tags: request.tags ?? {},
      deleting: false,
    };
    this.groups.set(name.toLowerCase(), record);
    return { created: existing === undefined, resource: this.resource(record) };
  }

  get(name: string): Record<string, unknown> {
    return this.resource(this.require(name));
  }

  list(): Record<string, unknown>[] {
    return [...this.groups.values()].map((group) => this.resource(group));
  }

  regionOf(name: string): string | undefined {
    return this.groups.get(name.toLowerCase())?.location;
  }

  require(name: string): ResourceGroupRecord {
    const group = this.groups.get(name.toLowerCase());
    if (group === undefined)
      throw new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
    return group;
  }

  /** A group that exists and is not being deleted: only such a group takes new clusters. */
  requireWritable(name: string): ResourceGroupRecord {
    const group = this.require(name);
    if (group.deleting) throw beingDeleted(group);
    return group;
  }

  /** Starts deleting a group and its clusters; returns the operation (undefined when there is no such group). */
  delete(name: string, deleteMembers: DeleteGroupMembers): AsyncOperation | undefined {
    const group = this.groups.get(name.toLowerCase());
    if (group === undefined) return undefined;
    const operation = this.operations.start("resourceGroups.delete", group.location);
    if (group.deleting) return operation;
    group.deleting = true;
    // The group goes last, after the slowest of its clusters.
    const memberDurations = deleteMembers(group);
    const duration =
      Math.max(jitteredDuration(group.location, ...operationDurations.resourceGroupDelete), ...memberDurations) + 1;
    this.clock.after(duration, () => {
      this.groups.delete(group.name.toLowerCase());
      this.operations.finish(operation, duration, "Succeeded");
    });
    return operation;
  }

  private resource(group: ResourceGroupRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${group.name}`,
      name: group.name,
      type: "Microsoft.Resources/resourceGroups",
      location: group.location,
      tags: group.tags,
      properties: { provisioningState: group.deleting ? "Deleting" : "Succeeded" },
    };
  }
}

function beingDeleted(group: ResourceGroupRecord): ArmError {
  return new ArmError(
    409,
    "ResourceGroupBeingDeleted",
    `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
  );
}
