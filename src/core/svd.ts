/**
 * The singular value decomposition of a square matrix on flat row-major arrays (svdSquare, with its
 * reusable scratch svdScratch): ml-matrix's SingularValueDecomposition operation for operation, so
 * the numbers are the same bits, without a Matrix object per call. Used per k x k block by the
 * photonic weight mapping (src/photonic/weights.ts).
 */
/** Scratch of svdSquare for n x n blocks. */
export interface SvdScratch {
  readonly n: number;
  readonly at: Float64Array;
  readonly ut: Float64Array;
  readonly vt: Float64Array;
  readonly e: Float64Array;
  readonly work: Float64Array;
}

export function svdScratch(n: number): SvdScratch {
  return { n, at: new Float64Array(n * n), ut: new Float64Array(n * n), vt: new Float64Array(n * n), e: new Float64Array(n), work: new Float64Array(n) };
}

/**
 * SVD of a square n x n row-major matrix a = U diag(s) V^T (n >= 2): the Golub-Kahan-Reinsch
 * algorithm exactly as ml-matrix's SingularValueDecomposition (6.x, the JAMA port; no autoTranspose)
 * runs it on a square matrix, operation for operation, so U, s and V are bit-identical to
 * `new SVD(Matrix, { autoTranspose: false })`; on flat arrays without the Matrix object per block
 * (mapWeights decomposes ~1,600 blocks per refresh). Results: ws.ut holds U^T (ut[j n + i] = U_ij),
 * ws.vt holds V^T (vt[j n + i] = V_ij), s the singular values (descending). Running values stay in
 * locals and the Householder row sums run column by column (each sum still adds its terms in JAMA's
 * order), which changes the time and not the numbers (test/perf-equivalence.test.ts).
 */
export function svdSquare(a: Float64Array, n: number, s: Float64Array, ws: SvdScratch): void {
  const m = n;
  const { at, e, work } = ws;
  const U = ws.ut;
  const V = ws.vt;
  const nn = n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) at[j * n + i] = a[i * n + j]!;
  for (let i = 0; i < nn; i++) {
    U[i] = 0;
    V[i] = 0;
  }
  for (let i = 0; i < n; i++) {
    e[i] = 0;
    work[i] = 0;
    s[i] = 0;
  }
  const nu = n;
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  const mrc = Math.max(nct, nrt);

  for (let k = 0; k < mrc; k++) {
    const ok = k * m;
    let sk = 0;
    if (k < nct) {
      // column norm, hypot by hypot in order
      for (let i = k; i < m; i++) sk = hyp(sk, at[ok + i]!);
      if (sk !== 0) {
        if (at[ok + k]! < 0) sk = -sk;
        for (let i = k; i < m; i++) at[ok + i] = at[ok + i]! / sk;
        at[ok + k] = at[ok + k]! + 1;
      }
      sk = -sk;
      s[k] = sk;
    }
    const house = k < nct && sk !== 0;
    const akk = at[ok + k]!;
    for (let j = k + 1; j < n; j++) {
      const oj = j * m;
      if (house) {
        let t = 0;
        for (let i = k; i < m; i++) t += at[ok + i]! * at[oj + i]!;
        t = -t / akk;
        for (let i = k; i < m; i++) at[oj + i] = at[oj + i]! + t * at[ok + i]!;
      }
      e[j] = at[oj + k]!;
    }
    if (k < nct) for (let i = k; i < m; i++) U[ok + i] = at[ok + i]!;
    if (k < nrt) {
      let ek = 0;
      for (let i = k + 1; i < n; i++) ek = hyp(ek, e[i]!);
      if (ek !== 0) {
        if (e[k + 1]! < 0) ek = 0 - ek;
        for (let i = k + 1; i < n; i++) e[i] = e[i]! / ek;
        e[k + 1] = e[k + 1]! + 1;
      }
      ek = -ek;
      e[k] = ek;
      if (k + 1 < m && ek !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        // work[i] = sum over j (ascending) of e[j] at(j, i): j outer keeps each sum's order
        for (let j = k + 1; j < n; j++) {
          const ej = e[j]!;
          const oj = j * m;
          for (let i = k + 1; i < m; i++) work[i] = work[i]! + ej * at[oj + i]!;
        }
        const ek1 = e[k + 1]!;
        for (let j = k + 1; j < n; j++) {
          const t = -e[j]! / ek1;
          const oj = j * m;
          for (let i = k + 1; i < m; i++) at[oj + i] = at[oj + i]! + t * work[i]!;
        }
      }
      const okv = k * n;
      for (let i = k + 1; i < n; i++) V[okv + i] = e[i]!;
    }
  }

  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = at[nct * m + nct]!;
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = at[(p - 1) * m + nrt]!;
  e[p - 1] = 0;

  for (let j = nct; j < nu; j++) {
    for (let i = 0; i < m; i++) U[j * m + i] = 0;
    U[j * m + j] = 1;
  }
  for (let k = nct - 1; k >= 0; k--) {
    const ok = k * m;
    if (s[k] !== 0) {
      const ukk = U[ok + k]!;
      for (let j = k + 1; j < nu; j++) {
        const oj = j * m;
        let t = 0;
        for (let i = k; i < m; i++) t += U[ok + i]! * U[oj + i]!;
        t = -t / ukk;
        for (let i = k; i < m; i++) U[oj + i] = U[oj + i]! + t * U[ok + i]!;
      }
      for (let i = k; i < m; i++) U[ok + i] = -U[ok + i]!;
      U[ok + k] = 1 + U[ok + k]!;
      for (let i = 0; i < k - 1; i++) U[ok + i] = 0;
    } else {
      for (let i = 0; i < m; i++) U[ok + i] = 0;
      U[ok + k] = 1;
    }
  }

  for (let k = n - 1; k >= 0; k--) {
    const ok = k * n;
    if (k < nrt && e[k] !== 0) {
      const vk1 = V[ok + k + 1]!;
      for (let j = k + 1; j < n; j++) {
        const oj = j * n;
        let t = 0;
        for (let i = k + 1; i < n; i++) t += V[ok + i]! * V[oj + i]!;
        t = -t / vk1;
        for (let i = k + 1; i < n; i++) V[oj + i] = V[oj + i]! + t * V[ok + i]!;
      }
    }
    for (let i = 0; i < n; i++) V[ok + i] = 0;
    V[ok + k] = 1;
  }

  const pp = p - 1;
  const eps = Number.EPSILON;
  while (p > 0) {
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      const alpha = Number.MIN_VALUE + eps * Math.abs(s[k]! + Math.abs(s[k + 1]!));
      const ek = e[k]!;
      if (Math.abs(ek) <= alpha || ek !== ek) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]!) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]!) : 0);
        if (Math.abs(s[ks]!) <= eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    if (kase === 3) {
      const scale = Math.max(Math.abs(s[p - 1]!), Math.abs(s[p - 2]!), Math.abs(e[p - 2]!), Math.abs(s[k]!), Math.abs(e[k]!));
      const sp = s[p - 1]! / scale;
      const spm1 = s[p - 2]! / scale;
      const epm1 = e[p - 2]! / scale;
      const sk = s[k]! / scale;
      const ek = e[k]! / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = sp * epm1 * (sp * epm1);
      let shift = 0;
      if (b !== 0 || c !== 0) {
        if (b < 0) shift = 0 - Math.sqrt(b * b + c);
        else shift = Math.sqrt(b * b + c);
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      for (let j = k; j < p - 1; j++) {
        let t = hyp(f, g);
        if (t === 0) t = Number.MIN_VALUE;
        let cs = f / t;
        let sn = g / t;
        if (j !== k) e[j - 1] = t;
        const sj = s[j]!;
        const ej = e[j]!;
        f = cs * sj + sn * ej;
        e[j] = cs * ej - sn * sj;
        const sj1 = s[j + 1]!;
        g = sn * sj1;
        const sj1b = cs * sj1;
        const oj = j * n;
        const oj1 = oj + n;
        for (let i = 0; i < n; i++) {
          const x = V[oj + i]!;
          const y = V[oj1 + i]!;
          V[oj1 + i] = -sn * x + cs * y;
          V[oj + i] = cs * x + sn * y;
        }
        t = hyp(f, g);
        if (t === 0) t = Number.MIN_VALUE;
        cs = f / t;
        sn = g / t;
        s[j] = t;
        const ej2 = e[j]!;
        f = cs * ej2 + sn * sj1b;
        s[j + 1] = -sn * ej2 + cs * sj1b;
        g = sn * e[j + 1]!;
        e[j + 1] = cs * e[j + 1]!;
        if (j < m - 1) {
          const uj = j * m;
          const uj1 = uj + m;
          for (let i = 0; i < m; i++) {
            const x = U[uj + i]!;
            const y = U[uj1 + i]!;
            U[uj1 + i] = -sn * x + cs * y;
            U[uj + i] = cs * x + sn * y;
          }
        }
      }
      e[p - 2] = f;
    } else if (kase === 1) {
      let f = e[p - 2]!;
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        let t = hyp(s[j]!, f);
        const cs = s[j]! / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * e[j - 1]!;
          e[j - 1] = cs * e[j - 1]!;
        }
        for (let i = 0; i < n; i++) {
          t = cs * V[j * n + i]! + sn * V[(p - 1) * n + i]!;
          V[(p - 1) * n + i] = -sn * V[j * n + i]! + cs * V[(p - 1) * n + i]!;
          V[j * n + i] = t;
        }
      }
    } else if (kase === 2) {
      let f = e[k - 1]!;
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        let t = hyp(s[j]!, f);
        const cs = s[j]! / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * e[j]!;
        e[j] = cs * e[j]!;
        for (let i = 0; i < m; i++) {
          t = cs * U[j * m + i]! + sn * U[(k - 1) * m + i]!;
          U[(k - 1) * m + i] = -sn * U[j * m + i]! + cs * U[(k - 1) * m + i]!;
          U[j * m + i] = t;
        }
      }
    } else {
      if (s[k]! <= 0) {
        s[k] = s[k]! < 0 ? -s[k]! : 0;
        for (let i = 0; i <= pp; i++) V[k * n + i] = -V[k * n + i]!;
      }
      while (k < pp) {
        if (s[k]! >= s[k + 1]!) break;
        let t = s[k]!;
        s[k] = s[k + 1]!;
        s[k + 1] = t;
        if (k < n - 1) {
          for (let i = 0; i < n; i++) {
            t = V[(k + 1) * n + i]!;
            V[(k + 1) * n + i] = V[k * n + i]!;
            V[k * n + i] = t;
          }
        }
        if (k < m - 1) {
          for (let i = 0; i < m; i++) {
            t = U[(k + 1) * m + i]!;
            U[(k + 1) * m + i] = U[k * m + i]!;
            U[k * m + i] = t;
          }
        }
        k++;
      }
      p--;
    }
  }
}

/** JAMA's hypot: sqrt(a^2 + b^2) without overflow, as ml-matrix computes it. */
function hyp(a: number, b: number): number {
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if (aa > ab) {
    const r = b / a;
    return aa * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    const r = a / b;
    return ab * Math.sqrt(1 + r * r);
  }
  return 0;
}
