/**
 * Who may do what in the simulated vault: Azure RBAC's two key roles, by principal. The simulator
 * does not issue real tokens (its ARM accepts any bearer token), so the principal is the bearer
 * token itself; every principal is a Crypto Officer until the control API says otherwise, which is
 * how tests make an identity without permission and see the vault's 403.
 */
import { z } from "zod";

/** Key operations the data plane checks, named after their RBAC data actions. */
export type KeyAction = "read" | "create" | "import" | "sign";

export const VaultRoleSchema = z.enum(["Key Vault Crypto Officer", "Key Vault Crypto User", "none"]);
export type VaultRole = z.infer<typeof VaultRoleSchema>;

/** The data actions of each role (Azure's built-in roles, restricted to the actions the simulator serves). */
const ROLE_ACTIONS: Readonly<Record<VaultRole, ReadonlySet<KeyAction>>> = {
  "Key Vault Crypto Officer": new Set(["read", "create", "import", "sign"]),
  "Key Vault Crypto User": new Set(["read", "sign"]),
  none: new Set(),
};

/** The RBAC data action Azure names in its 403 message. */
export const DATA_ACTIONS: Readonly<Record<KeyAction, string>> = {
  read: "Microsoft.KeyVault/vaults/keys/read",
  create: "Microsoft.KeyVault/vaults/keys/create/action",
  import: "Microsoft.KeyVault/vaults/keys/import/action",
  sign: "Microsoft.KeyVault/vaults/keys/sign/action",
};

const DEFAULT_ROLE: VaultRole = "Key Vault Crypto Officer";

export class VaultAccess {
  private readonly roles = new Map<string, VaultRole>();

  /** Assigns a role to a principal (the bearer token it presents); `Key Vault Crypto Officer` is the default. */
  assign(principal: string, role: VaultRole): void {
    this.roles.set(principal, role);
  }

  roleOf(principal: string): VaultRole {
    return this.roles.get(principal) ?? DEFAULT_ROLE;
  }

  allows(principal: string, action: KeyAction): boolean {
    return ROLE_ACTIONS[this.roleOf(principal)].has(action);
  }

  /** The assignments that differ from the default, for the control API. */
  assignments(): Record<string, VaultRole> {
    return Object.fromEntries(this.roles);
  }
}
