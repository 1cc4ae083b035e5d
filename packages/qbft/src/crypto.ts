/**
 * The one place that loads @noble/curves and @noble/hashes. Their v2 releases are ES modules
 * only; this project compiles to CommonJS (module node16), where TypeScript refuses a static
 * import of an ES module although Node 22 `require()`s them fine. So the types are imported
 * type-only in import mode and the values are loaded with `require`.
 */
import type * as Secp256k1Module from "@noble/curves/secp256k1.js" with { "resolution-mode": "import" };
import type * as Sha2Module from "@noble/hashes/sha2.js" with { "resolution-mode": "import" };
import type * as Sha3Module from "@noble/hashes/sha3.js" with { "resolution-mode": "import" };
import type * as UtilsModule from "@noble/hashes/utils.js" with { "resolution-mode": "import" };

/* eslint-disable @typescript-eslint/no-require-imports -- synchronous loading of ES-module-only packages from CommonJS (see above) */
const secp256k1Module = require("@noble/curves/secp256k1.js") as typeof Secp256k1Module;
const sha2Module = require("@noble/hashes/sha2.js") as typeof Sha2Module;
const sha3Module = require("@noble/hashes/sha3.js") as typeof Sha3Module;
const utilsModule = require("@noble/hashes/utils.js") as typeof UtilsModule;
/* eslint-enable @typescript-eslint/no-require-imports */

export const secp256k1 = secp256k1Module.secp256k1;
export const sha256 = sha2Module.sha256;
export const keccak_256 = sha3Module.keccak_256;
export const bytesToHex = utilsModule.bytesToHex;
export const hexToBytes = utilsModule.hexToBytes;
