/**
 * Largest set of vertices that are all pairwise adjacent (Bron–Kerbosch with pivoting). Validator
 * sets are at most a few dozen, where this is instant.
 */
export function largestClique<T>(vertices: readonly T[], adjacent: (a: T, b: T) => boolean): T[] {
  let best: T[] = [];
  const neighbours = new Map<T, Set<T>>(
    vertices.map((vertex) => [
      vertex,
      new Set(vertices.filter((other) => other !== vertex && adjacent(vertex, other))),
    ]),
  );
  const search = (clique: T[], candidates: Set<T>, excluded: Set<T>): void => {
    if (candidates.size === 0 && excluded.size === 0) {
      if (clique.length > best.length) best = clique;
      return;
    }
    if (clique.length + candidates.size <= best.length) return;
    let pivot: T | undefined;
    let pivotDegree = -1;
    for (const vertex of [...candidates, ...excluded]) {
      const degree = [...candidates].filter((candidate) => neighbours.get(vertex)?.has(candidate)).length;
      if (degree > pivotDegree) {
        pivot = vertex;
        pivotDegree = degree;
      }
    }
    const pivotNeighbours = pivot === undefined ? new Set<T>() : (neighbours.get(pivot) ?? new Set<T>());
    for (const vertex of [...candidates].filter((candidate) => !pivotNeighbours.has(candidate))) {
      const vertexNeighbours = neighbours.get(vertex) ?? new Set<T>();
      search(
        [...clique, vertex],
        new Set([...candidates].filter((candidate) => vertexNeighbours.has(candidate))),
        new Set([...excluded].filter((candidate) => vertexNeighbours.has(candidate))),
      );
      candidates.delete(vertex);
      excluded.add(vertex);
    }
  };
  search([], new Set(vertices), new Set());
  return best;
}
