/** What the simulated Azure offers: regions and VM sizes (with their quota family and vCPUs). */

/** ARM location names the simulated subscription can deploy to, with display names. */
export const regions: Readonly<Record<string, string>> = {
  northeurope: "North Europe",
  uksouth: "UK South",
  ukwest: "UK West",
  francecentral: "France Central",
  germanywestcentral: "Germany West Central",
  switzerlandnorth: "Switzerland North",
  italynorth: "Italy North",
  norwayeast: "Norway East",
  polandcentral: "Poland Central",
  spaincentral: "Spain Central",
  swedencentral: "Sweden Central",
  belgiumcentral: "Belgium Central",
  australiaeast: "Australia East",
  australiasoutheast: "Australia Southeast",
  eastasia: "East Asia",
  southeastasia: "Southeast Asia",
  centralindia: "Central India",
  southindia: "South India",
  westindia: "West India",
  japaneast: "Japan East",
  japanwest: "Japan West",
  koreacentral: "Korea Central",
  koreasouth: "Korea South",
  canadacentral: "Canada Central",
  westeurope: "West Europe",
  eastus: "East US",
  eastus2: "East US 2",
  westus2: "West US 2",
};

/** ARM compares location names ignoring case and spaces ("West Europe" = "westeurope"). */
export function normalizeRegion(location: string): string | undefined {
  const name = location.toLowerCase().replace(/\s+/g, "");
  return name in regions ? name : undefined;
}

export interface VmSize {
  vCpus: number;
  /** The quota family as `usages` names it, e.g. `standardDSv5Family`. */
  family: string;
  /** The family as AKS names it in its error messages, e.g. `StandardDSv5Family`. */
  familyDisplay: string;
}

function size(vCpus: number, family: string): VmSize {
  return { vCpus, family, familyDisplay: family.charAt(0).toUpperCase() + family.slice(1) };
}

/** VM sizes offered in every simulated region, by their ARM name. */
export const vmSizes: Readonly<Record<string, VmSize>> = {
  Standard_B2s: size(2, "standardBSFamily"),
  Standard_B4ms: size(4, "standardBSFamily"),
  Standard_D2s_v3: size(2, "standardDSv3Family"),
  Standard_D4s_v3: size(4, "standardDSv3Family"),
  Standard_D2s_v5: size(2, "standardDSv5Family"),
  Standard_D4s_v5: size(4, "standardDSv5Family"),
  Standard_D8s_v5: size(8, "standardDSv5Family"),
  Standard_D2ds_v5: size(2, "standardDDSv5Family"),
  Standard_D4ds_v5: size(4, "standardDDSv5Family"),
  Standard_D2as_v5: size(2, "standardDASv5Family"),
  Standard_D4as_v5: size(4, "standardDASv5Family"),
  Standard_E2s_v5: size(2, "standardESv5Family"),
  Standard_E4s_v5: size(4, "standardESv5Family"),
  Standard_F2s_v2: size(2, "standardFSv2Family"),
  Standard_F4s_v2: size(4, "standardFSv2Family"),
};

const vmSizesByLowerName = new Map(Object.entries(vmSizes).map(([name, entry]) => [name.toLowerCase(), entry]));

/** ARM matches VM size names ignoring case. */
export function findVmSize(name: string): VmSize | undefined {
  return vmSizesByLowerName.get(name.toLowerCase());
}

/** Every family any offered size belongs to, in a stable order (the `usages` list shows them all). */
export const vmFamilies: readonly string[] = [...new Set(Object.values(vmSizes).map((entry) => entry.family))].sort();

/** Defaults of a fresh subscription, the strategy's budget: 10 vCPUs per region, 10 per family. */
export const defaultRegionalCoreLimit = 10;
export const defaultFamilyCoreLimit = 10;

export const kubernetesVersions = ["1.30.10", "1.31.7", "1.32.3"] as const;
export const defaultKubernetesVersion = "1.31.7";

/** `GET /subscriptions/{s}/locations`: the regions as the Subscriptions API lists them. */
export function locationList(subscriptionId: string): { value: Record<string, unknown>[] } {
  return {
    value: Object.entries(regions).map(([name, displayName]) => ({
      id: `/subscriptions/${subscriptionId}/locations/${name}`,
      name,
      displayName,
      regionalDisplayName: displayName,
      type: "Region",
      metadata: { regionType: "Physical", regionCategory: "Recommended" },
    })),
  };
}

/** `GET …/Microsoft.Compute/skus`: every VM size in the given regions (all when undefined), as resource SKUs. */
export function resourceSkus(location: string | undefined): { value: Record<string, unknown>[] } {
  const locations = location === undefined ? Object.keys(regions) : [location];
  return {
    value: Object.entries(vmSizes).flatMap(([name, size]) =>
      locations.map((region) => ({
        resourceType: "virtualMachines",
        name,
        tier: "Standard",
        size: name.replace(/^Standard_/, ""),
        family: size.family,
        locations: [region],
        locationInfo: [{ location: region, zones: ["1", "2", "3"] }],
        capabilities: [
          { name: "vCPUs", value: String(size.vCpus) },
          { name: "MemoryGB", value: String(size.vCpus * 4) },
        ],
        restrictions: [],
      })),
    ),
  };
}

/** `GET …/Microsoft.ContainerService/locations/{location}/kubernetesVersions`. */
export function kubernetesVersionList(): { values: Record<string, unknown>[] } {
  const minors = [...new Set(kubernetesVersions.map((version) => version.split(".").slice(0, 2).join(".")))];
  return {
    values: minors.map((minor) => ({
      version: minor,
      isDefault: defaultKubernetesVersion.startsWith(`${minor}.`),
      isPreview: false,
      capabilities: { supportPlan: ["KubernetesOfficial"] },
      patchVersions: Object.fromEntries(
        kubernetesVersions
          .filter((version) => version.startsWith(`${minor}.`))
          .map((version) => [version, { upgrades: kubernetesVersions.filter((other) => other > version) }]),
      ),
    })),
  };
}
