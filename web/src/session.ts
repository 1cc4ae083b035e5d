/**
 * Who is using the page and how its API calls prove it, in the API's two auth modes
 * (docs/api.md): in `keys` mode (the local stack) a function key, handed over in the URL's fragment
 * by `besu-fleet local up` (a fragment never reaches a server or a log) or typed in, kept in this
 * tab's sessionStorage only; everyone with the key is an operator. In `entra` mode App Service
 * Authentication's session cookie goes with every same-origin request by itself, and the caller's
 * app roles come from App Service's `/.auth/me`: only Fleet.Operator sees the buttons that change
 * things (the API checks again; hiding is a courtesy, not the control).
 */
export type AuthMode = "keys" | "entra";

export interface Session {
  mode: AuthMode;
  /** The function key (keys mode). */
  key?: string;
  /** Who the page says is signed in. */
  who: string;
  canOperate: boolean;
}

const KEY_STORAGE = "besu-fleet.functionKey";
export const OPERATOR_ROLE = "Fleet.Operator";
const ROLE_CLAIMS = new Set(["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"]);

export function authMode(): AuthMode {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="besu-fleet-auth"]');
  return meta?.content === "entra" ? "entra" : "keys";
}

/** Takes a key out of the address (`#key=…`) into sessionStorage, so it is not left in history. */
function keyFromAddress(): string | undefined {
  const match = /^#key=([^&]+)/.exec(location.hash);
  if (match === null) return undefined;
  const key = decodeURIComponent(match[1] ?? "");
  sessionStorage.setItem(KEY_STORAGE, key);
  history.replaceState(null, "", `${location.pathname}${location.search}#/rollouts`);
  return key;
}

/** Anyone with the function key is an operator (docs/api.md). */
const keyHolder = (key: string): Session => ({ mode: "keys", key, who: "function key", canOperate: true });

/** Keeps a key typed into the page for this tab, and returns its session. */
export function rememberKey(key: string): Session {
  sessionStorage.setItem(KEY_STORAGE, key);
  return keyHolder(key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

interface AuthMeEntry {
  user_id?: string;
  user_claims?: { typ: string; val: string }[];
}

/**
 * The keys-mode session, or undefined while no key is known (the page then asks for one). It is
 * read synchronously when the page starts, before anything can change the address: a key still
 * in the fragment when a link or a script moves to another view would be lost.
 */
export function keysSession(): Session | undefined {
  const key = keyFromAddress() ?? sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  return key === undefined ? undefined : keyHolder(key);
}

/** The entra-mode session: who App Service Authentication signed in, and their app roles. */
export async function loadEntraSession(): Promise<Session> {
  const response = await fetch("/.auth/me", { credentials: "same-origin" });
  const entries = response.ok ? ((await response.json()) as AuthMeEntry[]) : [];
  const claims = entries[0]?.user_claims ?? [];
  const roles = claims.filter((claim) => ROLE_CLAIMS.has(claim.typ)).map((claim) => claim.val);
  const name = claims.find((claim) => claim.typ === "name" || claim.typ === "preferred_username")?.val;
  return { mode: "entra", who: name ?? entries[0]?.user_id ?? "signed in", canOperate: roles.includes(OPERATOR_ROLE) };
}
