/** Registers phase A's ARM activities: resource group, AKS cluster start and poll. */
import { beginCluster, ensureResourceGroup, getClusterState } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([ensureResourceGroup, beginCluster, getClusterState]);
