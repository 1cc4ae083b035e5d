/** The shell subset container scripts run in (kube/shell.ts): what it does, and what it refuses. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runShellScript, type ShellHost } from "../src/kube/shell.js";

/** A host over an in-memory file system: `/work/…` is writable, everything else read-only. */
function host(files: Record<string, string> = {}) {
  const state = { files: new Map(Object.entries(files)), lines: [] as string[], calls: [] as string[][] };
  const shell: ShellHost = {
    readFile: (path) => state.files.get(path),
    writeFile: (path, content) => {
      if (!path.startsWith("/work/")) return false;
      state.files.set(path, content);
      return true;
    },
    log: (line) => state.lines.push(line),
    programs: {
      tool: (args) => {
        state.calls.push(args);
        return args[0] === "fail" ? 3 : 0;
      },
    },
  };
  return { ...state, shell };
}

describe("container shell scripts", () => {
  it("takes the branch its file test chooses, with variables expanded", () => {
    const script = 'if [ -f /existing/key ]; then cp /existing/key /work/key; else tool "$NAME" new; fi\ntool done';
    const withKey = host({ "/existing/key": "0xabc" });
    assert.equal(runShellScript(script, { NAME: "node-1" }, withKey.shell), 0);
    assert.equal(withKey.files.get("/work/key"), "0xabc");
    assert.deepEqual(withKey.calls, [["done"]]);
    const without = host();
    assert.equal(runShellScript(script, { NAME: "node-1" }, without.shell), 0);
    assert.deepEqual(without.calls, [["node-1", "new"], ["done"]]);
  });

  it("stops at the first failure under set -e, and goes on without it", () => {
    const strict = host();
    assert.equal(runShellScript("set -e\ntool fail\ntool after", {}, strict.shell), 3);
    assert.deepEqual(strict.calls, [["fail"]]);
    const lenient = host();
    assert.equal(runShellScript("tool fail; tool after", {}, lenient.shell), 0);
    assert.deepEqual(lenient.calls, [["fail"], ["after"]]);
  });

  it("fails a copy onto a read-only mount or from a missing file, as cp does", () => {
    const target = host({ "/existing/key": "0xabc" });
    assert.equal(runShellScript("set -e; cp /existing/key /existing/copy", {}, target.shell), 1);
    assert.match(target.lines.join("\n"), /cannot create regular file '\/existing\/copy': Read-only file system/);
    const source = host();
    assert.equal(runShellScript("cp /nowhere /work/key", {}, source.shell), 1);
    assert.match(source.lines.join("\n"), /cannot stat '\/nowhere'/);
  });

  it("ends with exec's and exit's codes, and says when a program is not there", () => {
    assert.equal(runShellScript("exec tool fail; tool never", {}, host().shell), 3);
    assert.equal(runShellScript("exit 4", {}, host().shell), 4);
    const missing = host();
    assert.equal(runShellScript("set -e; curl http://example", {}, missing.shell), 127);
    assert.match(missing.lines.join("\n"), /curl: not found/);
  });

  it("refuses pipes, redirections, && and || and unfinished ifs rather than half-running them", () => {
    for (const script of [
      "tool a | tool b",
      "tool a > /work/out",
      "tool a && tool b",
      "tool a || true",
      "if [ -f /x ]; then tool a",
    ]) {
      const refused = host();
      assert.equal(runShellScript(script, {}, refused.shell), 2, script);
      assert.deepEqual(refused.calls, [], `${script}: nothing ran`);
    }
  });
});
