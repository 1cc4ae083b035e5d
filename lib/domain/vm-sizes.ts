/**
 * The VM sizes the control plane can plan with: vCPUs and the Compute quota family each size is
 * charged to (the `name.value` of the matching entry in the ARM usages list).
 */

/** What planning needs to know about a VM size. */
export interface VmSizeInfo {
  /** ARM VM size name, e.g. `Standard_D2s_v5`. */
  readonly name: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** Quota family in `Microsoft.Compute/locations/{loc}/usages`, e.g. `standardDSv5Family`. */
  readonly family: string;
  /** Whether the size can attach Premium SSD disks (the `s` in the size name). */
  readonly premiumStorage: boolean;
}

function size(name: string, vcpus: number, memoryGiB: number, family: string, premiumStorage: boolean): VmSizeInfo {
  return Object.freeze({ name, vcpus, memoryGiB, family, premiumStorage });
}

/** Known sizes, general-purpose families that AKS node pools commonly use. */
export const VM_SIZES: readonly VmSizeInfo[] = Object.freeze([
  size("Standard_B2s", 2, 4, "standardBSFamily", true),
  size("Standard_B2ms", 2, 8, "standardBSFamily", true),
  size("Standard_B4ms", 4, 16, "standardBSFamily", true),
  size("Standard_D2s_v3", 2, 8, "standardDSv3Family", true),
  size("Standard_D4s_v3", 4, 16, "standardDSv3Family", true),
  size("Standard_D8s_v3", 8, 32, "standardDSv3Family", true),
  size("Standard_D2s_v5", 2, 8, "standardDSv5Family", true),
  size("Standard_D4s_v5", 4, 16, "standardDSv5Family", true),
  size("Standard_D8s_v5", 8, 32, "standardDSv5Family", true),
  size("Standard_D16s_v5", 16, 64, "standardDSv5Family", true),
  size("Standard_D2as_v5", 2, 8, "standardDASv5Family", true),
  size("Standard_D4as_v5", 4, 16, "standardDASv5Family", true),
  size("Standard_D8as_v5", 8, 32, "standardDASv5Family", true),
  size("Standard_D2ds_v5", 2, 8, "standardDDSv5Family", true),
  size("Standard_D4ds_v5", 4, 16, "standardDDSv5Family", true),
  size("Standard_E2s_v5", 2, 16, "standardESv5Family", true),
  size("Standard_E4s_v5", 4, 32, "standardESv5Family", true),
  size("Standard_F2s_v2", 2, 4, "standardFSv2Family", true),
  size("Standard_F4s_v2", 4, 8, "standardFSv2Family", true),
]);

/** The quota entry that caps all families together in a region ("Total Regional vCPUs"). */
export const TOTAL_REGIONAL_VCPUS_QUOTA = "cores";

const sizesByName: ReadonlyMap<string, VmSizeInfo> = new Map(
  VM_SIZES.map((entry) => [entry.name.toLowerCase(), entry]),
);

/** The catalog entry for a VM size; ARM treats size names case-insensitively, so do we. */
export function findVmSize(name: string): VmSizeInfo | undefined {
  return sizesByName.get(name.toLowerCase());
}

/** Names of all known sizes, for error messages and documentation. */
export function knownVmSizeNames(): string[] {
  return VM_SIZES.map((entry) => entry.name);
}
