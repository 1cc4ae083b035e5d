/**
 * The page's views, one per API resource, each matched by its address (`#/rollouts`,
 * `#/rollouts/<id>`, `#/drift`, `#/drift/<network>`, `#/health`, `#/health/<network>`). A new resource (drift, a change plan, contracts and CCIP) plugs in as one
 * more entry here; an entry with a `nav` title also gets a link in the header.
 */
import type { JSX } from "preact";
import type { Api, RegionInfo } from "../api.js";
import type { Session } from "../session.js";
import { DriftNetworkView, DriftOverviewView } from "./drift.js";
import { HealthOverviewView, NetworkHealthView } from "./health.js";
import { RolloutDetail } from "./rollout-detail.js";
import { RolloutsList } from "./rollouts-list.js";

export interface ViewContext {
  api: Api;
  session: Session;
  /** The regions a rollout can use and the admin region (GET /api/regions). */
  catalog: RegionInfo[];
}

export interface View {
  /** The address after `#`, matched whole; capture groups are passed to `render`. */
  pattern: RegExp;
  /** Shown in the header's navigation when set, linking to `href`. */
  nav?: { title: string; href: string };
  render(context: ViewContext, captures: string[]): JSX.Element;
}

export const VIEWS: View[] = [
  {
    pattern: /^\/rollouts\/([^/]+)$/,
    render: (context, [rolloutId]) => <RolloutDetail key={rolloutId} {...context} rolloutId={rolloutId ?? ""} />,
  },
  {
    pattern: /^\/?(?:rollouts)?$/,
    nav: { title: "Rollouts", href: "#/rollouts" },
    render: (context) => <RolloutsList {...context} />,
  },
  {
    pattern: /^\/drift\/([^/]+)$/,
    render: (context, [network]) => <DriftNetworkView key={network} {...context} network={network ?? ""} />,
  },
  {
    pattern: /^\/drift$/,
    nav: { title: "Drift", href: "#/drift" },
    render: (context) => <DriftOverviewView {...context} />,
  },
  {
    pattern: /^\/health\/([^/]+)$/,
    render: (context, [network]) => <NetworkHealthView key={network} {...context} network={network ?? ""} />,
  },
  {
    pattern: /^\/health$/,
    nav: { title: "Network health", href: "#/health" },
    render: (context) => <HealthOverviewView {...context} />,
  },
];

/** The view for an address and what its pattern captured, or undefined for an unknown address. */
export function route(address: string): { view: View; captures: string[] } | undefined {
  for (const view of VIEWS) {
    const match = view.pattern.exec(address);
    if (match !== null) return { view, captures: match.slice(1).map((part) => decodeURIComponent(part ?? "")) };
  }
  return undefined;
}
