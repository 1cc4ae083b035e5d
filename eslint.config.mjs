// Lint rules. The orchestrator rules exist because the durable replay engine re-runs orchestrator
// code on every episode, and any I/O, clock, randomness or environment read would make a replay
// diverge from the recorded history.
import tseslint from "typescript-eslint";

const bannedModules = [
  "node:*",
  "fs",
  "path",
  "os",
  "crypto",
  "http",
  "https",
  "net",
  "child_process",
  "timers",
  "@azure/arm-*",
  "@azure/storage-*",
  "@azure/data-tables",
  "@azure/identity",
  "@kubernetes/*",
  "ethers",
  "undici",
  // Metrics recorded in a replayed generator would count once per replay: activities record them.
  "@opentelemetry/*",
  "@azure/monitor-opentelemetry",
];

// The three buildings: the product (the Functions app at the root), the local host and the
// simulated cloud (local/*), and the pure QBFT package both share (packages/qbft). The product
// never imports local/* (it is not even in a deployed package); local/* and packages/* never
// import the product (the simulator is an oracle, not a copy of what it checks).
const localPackages = ["@besu-fleet/local-*", "**/local/*"];
const productModules = [
  "besu-fleet",
  "besu-fleet/*",
  "**/lib/**",
  "**/functions/**",
  "**/orchestrators/**",
  "**/activities/**",
  "**/cli/**",
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.local/**"] },
  ...tseslint.configs.recommended,
  {
    // Plain CommonJS: the fixture app and the bin entry are loaded as the Functions worker / Node load them.
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["orchestrators/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: bannedModules,
              allowTypeImports: true,
              message: "Orchestrators are replayed: no I/O modules. Call an activity instead.",
            },
            { group: localPackages, message: "The product never imports the local host or the simulated cloud." },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "Orchestrators must not read the environment: pass it in the input." },
        { name: "fetch", message: "Orchestrators must not do I/O: call an activity." },
        { name: "setTimeout", message: "Use context.df.createTimer." },
        { name: "setInterval", message: "Use context.df.createTimer." },
        { name: "crypto", message: "Use context.df.newGuid()." },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Use context.df.currentUtcDateTime." },
        { object: "Math", property: "random", message: "Orchestrators must be deterministic." },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Use context.df.currentUtcDateTime.",
        },
        { selector: "AwaitExpression", message: "Orchestrators are generators: yield tasks, never await." },
      ],
    },
  },
  {
    files: ["functions/**/*.ts", "orchestrators/**/*.ts", "activities/**/*.ts", "lib/**/*.ts"],
    ignores: ["orchestrators/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: localPackages, message: "The product never imports the local host or the simulated cloud." },
          ],
        },
      ],
    },
  },
  {
    files: ["local/**/*.ts", "packages/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: productModules,
              message: "Local tooling and shared packages never import the product: it is what they check.",
            },
          ],
        },
      ],
    },
  },
);
