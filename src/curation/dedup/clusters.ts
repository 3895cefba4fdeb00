/**
 * Duplicate clusters as a union-find whose root is always the smallest index in the set. The
 * caller numbers documents in pool order (generation, then task index), so a cluster's root is
 * its earliest problem: the one kept as the representative. Clusters are the connected
 * components of the "duplicate of" relation, so they are transitive (a~b, b~c puts a, b, c
 * together even when a and c are further apart than the threshold), and the result does not
 * depend on the order in which pairs were found.
 */
export class UnionFind {
  private readonly parent: Int32Array;

  constructor(readonly size: number) {
    this.parent = new Int32Array(size);
    for (let i = 0; i < size; i++) this.parent[i] = i;
  }

  find(x: number): number {
    let root = x;
    while (this.parent[root] !== root) root = this.parent[root]!;
    // Path compression keeps later finds near O(1).
    while (this.parent[x] !== root) {
      const next = this.parent[x]!;
      this.parent[x] = root;
      x = next;
    }
    return root;
  }

  /** Joins the sets of a and b; returns false when they were already one set. */
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
    return true;
  }

  /** Size of each document's set, indexed by document. */
  sizes(): Int32Array {
    const perRoot = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) perRoot[this.find(i)]!++;
    const out = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = perRoot[this.find(i)]!;
    return out;
  }
}
