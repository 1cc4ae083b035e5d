/**
 * The admin dashboard's entry point (docs/dashboard.md): learns the session (session.ts), asks for
 * a function key when keys mode has none, then shows the view the address names (views/index.tsx)
 * under a header with the navigation and who is signed in.
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import "../styles.css";
import { createApi, type RegionInfo } from "./api.js";
import { authMode, forgetKey, keysSession, loadEntraSession, rememberKey, type Session } from "./session.js";
import { route, VIEWS } from "./views/index.js";

const currentAddress = (): string => location.hash.replace(/^#/, "");

function KeyForm(props: { onKey: (key: string) => void; rejected: boolean }) {
  const [key, setKey] = useState("");
  return (
    <form
      class="key"
      onSubmit={(event) => {
        event.preventDefault();
        props.onKey(key.trim());
      }}
    >
      <h1>besu-fleet dashboard</h1>
      <p>
        The local stack's API needs its function key: <code>besu-fleet local up</code> prints it (and a dashboard link
        that carries it), and it is in <code>.local/keys.json</code>.
      </p>
      {props.rejected && (
        <p class="error" role="alert">
          That key was refused. Try again.
        </p>
      )}
      <label for="function-key">Function key</label>
      <input
        id="function-key"
        type="password"
        autocomplete="off"
        value={key}
        onInput={(event) => setKey(event.currentTarget.value)}
      />
      <button type="submit" disabled={key.trim() === ""}>
        Open the dashboard
      </button>
    </form>
  );
}

function Dashboard(props: { session: Session; onUnauthorized: () => void; onSignOut: () => void }) {
  const api = useMemo(() => createApi(props.session, props.onUnauthorized), [props.session, props.onUnauthorized]);
  const [address, setAddress] = useState(currentAddress());
  const [catalog, setCatalog] = useState<RegionInfo[]>([]);
  useEffect(() => {
    const onChange = (): void => setAddress(currentAddress());
    window.addEventListener("hashchange", onChange);
    void api.get<RegionInfo[]>("regions").then((result) => result.ok && setCatalog(result.value));
    return () => window.removeEventListener("hashchange", onChange);
  }, [api]);
  const matched = route(address);
  return (
    <>
      <header>
        <strong>besu-fleet</strong>
        <nav aria-label="Views">
          {VIEWS.flatMap((view) =>
            view.nav
              ? [
                  <a key={view.nav.href} href={view.nav.href}>
                    {view.nav.title}
                  </a>,
                ]
              : [],
          )}
        </nav>
        <span class="who">
          {props.session.who} · {props.session.canOperate ? "operator" : "reader"}
          {props.session.mode === "keys" && (
            <button type="button" class="link" onClick={props.onSignOut}>
              Forget key
            </button>
          )}
        </span>
      </header>
      <main>
        {matched ? (
          matched.view.render({ api, session: props.session, catalog }, matched.captures)
        ) : (
          <p>No such page.</p>
        )}
      </main>
    </>
  );
}

function App() {
  const mode = authMode();
  // undefined: still asking App Service who is signed in (entra); null: keys mode without a key.
  const [session, setSession] = useState<Session | null | undefined>(() =>
    mode === "keys" ? (keysSession() ?? null) : undefined,
  );
  const [rejected, setRejected] = useState(false);
  useEffect(() => {
    if (mode === "entra") void loadEntraSession().then(setSession);
  }, [mode]);
  const onUnauthorized = useMemo(
    () => () => {
      if (mode !== "keys") return;
      forgetKey();
      setRejected(true);
      setSession(null);
    },
    [mode],
  );
  if (session === undefined) return <p role="status">Signing in…</p>;
  if (session === null)
    return (
      <main>
        <KeyForm
          rejected={rejected}
          onKey={(key) => {
            setRejected(false);
            setSession(rememberKey(key));
          }}
        />
      </main>
    );
  return (
    <Dashboard
      session={session}
      onUnauthorized={onUnauthorized}
      onSignOut={() => {
        forgetKey();
        setSession(null);
      }}
    />
  );
}

const root = document.getElementById("app");
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
