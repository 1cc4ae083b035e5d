/**
 * The Azure regions of the parallel deployment strategy: 24 deployment regions that host the
 * network's validators and sentries, and West Europe, which hosts only the control plane and
 * admin tooling (monitoring, logs, backups).
 */

/** Broad area of the world, for grouping regions in views and reports. */
export type RegionArea = "Europe" | "Asia Pacific" | "Americas";

/** What a region is used for in the strategy. */
export type RegionRole = "deployment" | "admin";

/** One Azure region as the control plane knows it. */
export interface RegionInfo {
  /** ARM location name, as ARM URLs and resource bodies spell it (e.g. `northeurope`). */
  readonly name: string;
  /** Name as the Azure portal shows it (e.g. `North Europe`). */
  readonly displayName: string;
  /** Azure geography: the data-residency boundary the region belongs to. */
  readonly geography: string;
  readonly area: RegionArea;
  /** City or state where the datacenters are. */
  readonly physicalLocation: string;
  readonly role: RegionRole;
}

/** The admin region: control plane only, never validators or sentries. */
export const ADMIN_REGION = "westeurope";

/** vCPUs per deployment region in the strategy's budget (24 × 10 = 240). */
export const STRATEGY_VCPU_BUDGET_PER_REGION = 10;

function deployment(
  name: string,
  displayName: string,
  geography: string,
  area: RegionArea,
  physicalLocation: string,
): RegionInfo {
  return { name, displayName, geography, area, physicalLocation, role: "deployment" };
}

/** The strategy's 24 deployment regions, in the strategy's order. */
export const DEPLOYMENT_REGIONS: readonly RegionInfo[] = Object.freeze([
  deployment("northeurope", "North Europe", "Europe", "Europe", "Ireland"),
  deployment("uksouth", "UK South", "United Kingdom", "Europe", "London"),
  deployment("ukwest", "UK West", "United Kingdom", "Europe", "Cardiff"),
  deployment("francecentral", "France Central", "France", "Europe", "Paris"),
  deployment("germanywestcentral", "Germany West Central", "Germany", "Europe", "Frankfurt"),
  deployment("switzerlandnorth", "Switzerland North", "Switzerland", "Europe", "Zurich"),
  deployment("italynorth", "Italy North", "Italy", "Europe", "Milan"),
  deployment("norwayeast", "Norway East", "Norway", "Europe", "Oslo"),
  deployment("polandcentral", "Poland Central", "Poland", "Europe", "Warsaw"),
  deployment("spaincentral", "Spain Central", "Spain", "Europe", "Madrid"),
  deployment("swedencentral", "Sweden Central", "Sweden", "Europe", "Gävle"),
  deployment("belgiumcentral", "Belgium Central", "Belgium", "Europe", "Brussels"),
  deployment("australiaeast", "Australia East", "Australia", "Asia Pacific", "New South Wales"),
  deployment("australiasoutheast", "Australia Southeast", "Australia", "Asia Pacific", "Victoria"),
  deployment("eastasia", "East Asia", "Asia Pacific", "Asia Pacific", "Hong Kong"),
  deployment("southeastasia", "Southeast Asia", "Asia Pacific", "Asia Pacific", "Singapore"),
  deployment("centralindia", "Central India", "India", "Asia Pacific", "Pune"),
  deployment("southindia", "South India", "India", "Asia Pacific", "Chennai"),
  deployment("westindia", "West India", "India", "Asia Pacific", "Mumbai"),
  deployment("japaneast", "Japan East", "Japan", "Asia Pacific", "Tokyo, Saitama"),
  deployment("japanwest", "Japan West", "Japan", "Asia Pacific", "Osaka"),
  deployment("koreacentral", "Korea Central", "Korea", "Asia Pacific", "Seoul"),
  deployment("koreasouth", "Korea South", "Korea", "Asia Pacific", "Busan"),
  deployment("canadacentral", "Canada Central", "Canada", "Americas", "Toronto"),
]);

/** West Europe, the admin region. */
export const ADMIN_REGION_INFO: RegionInfo = Object.freeze({
  name: ADMIN_REGION,
  displayName: "West Europe",
  geography: "Europe",
  area: "Europe",
  physicalLocation: "Netherlands",
  role: "admin",
});

/** ARM names of the 24 deployment regions, in the strategy's order. */
export const DEPLOYMENT_REGION_NAMES: readonly string[] = Object.freeze(
  DEPLOYMENT_REGIONS.map((region) => region.name),
);

const regionsByName: ReadonlyMap<string, RegionInfo> = new Map(
  [...DEPLOYMENT_REGIONS, ADMIN_REGION_INFO].map((region) => [region.name, region]),
);

/** The catalog entry for an ARM location name (deployment or admin), or undefined when unknown. */
export function findRegion(name: string): RegionInfo | undefined {
  return regionsByName.get(name);
}

/** True when the name is one of the 24 regions that may host validators and sentries. */
export function isDeploymentRegion(name: string): boolean {
  return findRegion(name)?.role === "deployment";
}

/** Every region of the catalog: the 24 deployment regions, then the admin region. */
export function allRegions(): readonly RegionInfo[] {
  return [...DEPLOYMENT_REGIONS, ADMIN_REGION_INFO];
}
