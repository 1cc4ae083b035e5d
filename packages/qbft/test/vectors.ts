/** Locates the shared reference fixtures (../shared beside the repository) from compiled or source tests. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

function repositoryRoot(): string {
  let directory = __dirname;
  for (;;) {
    const manifest = path.join(directory, "package.json");
    if (existsSync(manifest) && /"name":\s*"besu-fleet"/.test(readFileSync(manifest, "utf8"))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no besu-fleet package.json above ${__dirname}`);
    directory = parent;
  }
}

const vectorsSchema = z.object({
  qbftExtraData: z.array(z.object({ validators: z.array(z.string()), extraData: z.string() })),
  nodeKeys: z.array(
    z.object({ privateKey: z.string(), publicKey: z.string(), address: z.string(), enodeAt127001: z.string() }),
  ),
  qbftQuorum: z.array(z.object({ n: z.number(), quorum: z.number(), f: z.number() })),
});

/** The Besu test vectors from ../shared/fixtures/besu-vectors.json. */
export function loadBesuVectors(): z.infer<typeof vectorsSchema> {
  const file = path.join(repositoryRoot(), "..", "shared", "fixtures", "besu-vectors.json");
  return vectorsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}
