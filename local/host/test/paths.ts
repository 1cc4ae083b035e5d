/** Where the host's tests find their fixture app, from the compiled dist/test/. */
import path from "node:path";

export const CONFORMANCE_APP = path.resolve(__dirname, "..", "..", "test", "fixtures", "conformance-app");

/** The app of the library version matrix: shared source, one manifest and lockfile per version. */
export const MATRIX_APP = path.resolve(__dirname, "..", "..", "test", "fixtures", "matrix-app");
