/**
 * Loads the external vectors the tests pin the package to: the Besu documentation vectors from the
 * shared reference fixtures (`shared/fixtures/` beside the repository, or beside the folder that
 * holds it when it is a git worktree), and the genesis vectors kept in this package's
 * `test/vectors/`, found from compiled or source tests alike.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

function ancestors(directory: string): string[] {
  const parent = path.dirname(directory);
  return parent === directory ? [directory] : [directory, ...ancestors(parent)];
}

function packageRoot(): string {
  const root = ancestors(__dirname).find((directory) => existsSync(path.join(directory, "tsconfig.json")));
  if (root === undefined) throw new Error(`no package root above ${__dirname}`);
  return root;
}

const besuVectorsSchema = z.object({
  qbftExtraData: z.array(z.object({ validators: z.array(z.string()), extraData: z.string() })),
  nodeKeys: z.array(
    z.object({ privateKey: z.string(), publicKey: z.string(), address: z.string(), enodeAt127001: z.string() }),
  ),
  qbftQuorum: z.array(z.object({ n: z.number(), quorum: z.number(), f: z.number() })),
});

/** The Besu documentation vectors from shared/fixtures/besu-vectors.json. */
export function loadBesuVectors(): z.infer<typeof besuVectorsSchema> {
  const candidates = ancestors(packageRoot()).map((directory) =>
    path.join(directory, "shared", "fixtures", "besu-vectors.json"),
  );
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) throw new Error(`no shared/fixtures/besu-vectors.json above ${packageRoot()}`);
  return besuVectorsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

const hash = z.string().regex(/^0x[0-9a-f]{64}$/);
const genesisVectorSchema = z.object({
  /** Where the genesis and the expected values come from: repository@commit:path, or the tool that computed them. */
  source: z.object({ genesis: z.string(), expected: z.string(), changes: z.string().optional() }),
  /** The rules of Besu's genesis reading that the vector pins. */
  exercises: z.string(),
  expected: z
    .object({ hash: hash.optional(), stateRoot: hash.optional() })
    .refine((expected) => expected.hash !== undefined || expected.stateRoot !== undefined, "expects nothing"),
  /** The genesis file's content. */
  genesis: z.record(z.string(), z.unknown()),
});
export type GenesisVector = z.infer<typeof genesisVectorSchema> & { name: string };

/** Every genesis vector in test/vectors/, named after its file. */
export function loadGenesisVectors(): GenesisVector[] {
  const directory = path.join(packageRoot(), "test", "vectors");
  return readdirSync(directory)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({
      name: file.replace(/\.json$/, ""),
      ...genesisVectorSchema.parse(JSON.parse(readFileSync(path.join(directory, file), "utf8"))),
    }));
}
