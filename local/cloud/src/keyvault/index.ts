/**
 * The simulated Azure Key Vault (keys only): one vault per cloud, its keys in the data directory,
 * its data plane over HTTPS for the real `@azure/keyvault-keys` clients, and control routes to see
 * its keys and change who may use them. The vault always holds the operator's deployer key
 * (`deployer`), created on first start: the simulated chains fund that key's address, and the
 * product signs with it through the vault, so no one outside the vault ever holds its private key.
 */
import { z } from "zod";
import type { SimClock } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import { ControlError, type ControlRoute } from "../plugin.js";
import type { ServerCertificate } from "../tls.js";
import { VaultAccess, VaultRoleSchema } from "./access.js";
import { VaultKeys, type PublicKeyVersion } from "./keys.js";
import { keyId } from "./routes.js";
import { VaultServer } from "./server.js";

/** Name of the operator's deployer key in the simulated vault. */
export const DEPLOYER_KEY_NAME = "deployer";

/** A vault key as the rest of the simulator refers to it: its identifier and Ethereum address. */
export interface VaultKeyRef {
  /** `https://127.0.0.1:<port>/keys/<name>/<version>`: what a client passes to `CryptographyClient`. */
  keyId: string;
  /** Lower-case hex. */
  address: string;
}

export interface SimulatedVault {
  keys: VaultKeys;
  access: VaultAccess;
  /** Starts the data plane; returns the vault URL. */
  start(): Promise<string>;
  /** The deployer key (valid once started). */
  deployer(): VaultKeyRef;
  controlRoutes(): ControlRoute[];
  close(): Promise<void>;
}

export function createVault(options: {
  dataDir: string;
  tenantId: string;
  certificate: ServerCertificate;
  faults: FaultInjector;
  operationLog: OperationLog;
  clock: SimClock;
  log: (line: string) => void;
}): SimulatedVault {
  const keys = new VaultKeys(options.dataDir);
  const access = new VaultAccess();
  const deployerKey = keys.get(DEPLOYER_KEY_NAME) ?? keys.create(DEPLOYER_KEY_NAME, { tags: { purpose: "deployer" } });
  const server = new VaultServer({ ...options, keys, access });
  let vaultUrl: string | undefined;
  const started = (): string => {
    if (vaultUrl === undefined) throw new ControlError(503, "the simulated Key Vault is not running");
    return vaultUrl;
  };
  const ref = (key: PublicKeyVersion): VaultKeyRef => ({ keyId: keyId(started(), key), address: key.address });

  return {
    keys,
    access,
    async start() {
      vaultUrl = await server.start();
      return vaultUrl;
    },
    deployer: () => ref(deployerKey),
    controlRoutes: () => [
      {
        method: "GET",
        path: "keyvault",
        handle: () => ({
          body: {
            vaultUrl: started(),
            keys: keys.names().flatMap((name) => {
              const key = keys.get(name);
              return key === undefined ? [] : [{ name, ...ref(key) }];
            }),
            roleAssignments: access.assignments(),
          },
        }),
      },
      {
        method: "PUT",
        path: "keyvault/roles/:principal",
        handle: ({ params, body }) => {
          const parsed = z.object({ role: VaultRoleSchema }).safeParse(body);
          if (!parsed.success) throw new ControlError(400, `invalid role assignment: ${z.prettifyError(parsed.error)}`);
          access.assign(params.principal ?? "", parsed.data.role);
          return { body: { principal: params.principal, role: parsed.data.role } };
        },
      },
    ],
    close: () => server.close(),
  };
}
