/**
 * Gram-Schmidt orthonormalisation of the singular vectors of a block (mapWeights), two matrices at a
 * time. Internal: not exported from the package index.
 */

/**
 * Orthonormalise the k columns of two k x k matrices, each stored column by column (q[j k + i] = q_ij),
 * in place. SVD of a rank-deficient block can leave null-space columns that are not orthonormal; those
 * are re-orthogonalised (Gram-Schmidt against the earlier columns, twice, completed with unit vectors
 * when they vanish), which changes nothing in U S V^T. The two matrices (U and V of one block) are done
 * together, column by column, each with exactly its own operations in its own order (so the same bits
 * as one after the other): their chains of dependent sums then overlap. A column whose Gram-Schmidt
 * result is too short goes on alone (retryColumn).
 */
export function orthonormalPair(qa: Float64Array, qb: Float64Array, k: number, cola: Float64Array, colb: Float64Array): void {
  for (let j = 0; j < k; j++) {
    const oj = j * k;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const op = p * k;
        let da = 0;
        let db = 0;
        for (let i = 0; i < k; i++) {
          da += qa[op + i]! * qa[oj + i]!;
          db += qb[op + i]! * qb[oj + i]!;
        }
        for (let i = 0; i < k; i++) {
          qa[oj + i]! -= da * qa[op + i]!;
          qb[oj + i]! -= db * qb[op + i]!;
        }
      }
    }
    let na = 0;
    let nb = 0;
    for (let i = 0; i < k; i++) {
      const x = qa[oj + i]!;
      const y = qb[oj + i]!;
      cola[i] = x;
      colb[i] = y;
      na += x * x;
      nb += y * y;
    }
    na = Math.sqrt(na);
    nb = Math.sqrt(nb);
    if (na > 0.5) for (let i = 0; i < k; i++) qa[oj + i] = cola[i]! / na;
    else retryColumn(qa, k, j, cola);
    if (nb > 0.5) for (let i = 0; i < k; i++) qb[oj + i] = colb[i]! / nb;
    else retryColumn(qb, k, j, colb);
  }
}

/**
 * The further attempts for column j when the first gave a norm <= 0.5: unit vector e_(attempt-1),
 * orthogonalised; the first with a norm > 0.5 is taken. When none is (possible from k = 5 on: the
 * largest component of a unit vector in the complement can be as small as 1/sqrt(k)), the longest
 * attempt is taken (its norm is at least 1/sqrt(k), far from cancellation).
 */
function retryColumn(q: Float64Array, k: number, j: number, col: Float64Array): void {
  const oj = j * k;
  let best = 0;
  let bestNorm = -1;
  for (let attempt = 1; attempt <= k; attempt++) {
    const nrm = unitAttempt(q, k, j, attempt, col);
    if (nrm > 0.5) {
      for (let i = 0; i < k; i++) q[oj + i] = col[i]! / nrm;
      return;
    }
    if (nrm > bestNorm) {
      bestNorm = nrm;
      best = attempt;
    }
  }
  const nrm = unitAttempt(q, k, j, best, col);
  for (let i = 0; i < k; i++) q[oj + i] = col[i]! / nrm;
}

/** Column j <- e_(attempt-1) orthogonalised (twice) against columns 0..j-1; returns its norm (a copy in col). */
function unitAttempt(q: Float64Array, k: number, j: number, attempt: number, col: Float64Array): number {
  const oj = j * k;
  for (let i = 0; i < k; i++) q[oj + i] = i === attempt - 1 ? 1 : 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let p = 0; p < j; p++) {
      const op = p * k;
      let d = 0;
      for (let i = 0; i < k; i++) d += q[op + i]! * q[oj + i]!;
      for (let i = 0; i < k; i++) q[oj + i]! -= d * q[op + i]!;
    }
  }
  let nrm = 0;
  for (let i = 0; i < k; i++) {
    const x = q[oj + i]!;
    col[i] = x;
    nrm += x * x;
  }
  return Math.sqrt(nrm);
}
