// fusemix WebAssembly kernels (AssemblyScript, compiled by asm/build.mjs with SIMD on).
//
// No allocation here: the JavaScript side (src/kernels/wasm.ts) lays the operands out in linear memory
// and passes byte addresses. Every matrix is row-major. Element (i, p) of A is read at
// a + 8 * (i * ars + p * acs) (4 * ... for f32), so one routine serves A and A^T.
//
// gemm*: C (m x n) += A (m x k) * B (k x n). i-k-j order with a 2-row x 4-k register block: for each
// pair of C rows, the k positions where either A row is non-zero are gathered into `nz` (an i32
// scratch of k entries) and only those rows of B stream through, 2 (f64) or 4 (f32) lanes at a time.
// Sparse A (MNIST pixels ~80 % zero, ReLU outputs ~50 %) then costs proportionally less.

// One generic body per routine, monomorphised for f64 and f32 (AssemblyScript compiles a generic
// function once per type argument): sizeof<T>() and alignof<T>() (log2 of the size) are compile-time
// constants, so each instance is the same code a hand-written f64 or f32 copy would be.

@inline function gather2<T>(ai: usize, aj: usize, acs: usize, k: i32, nz: usize): i32 {
  let cnt = 0;
  for (let p = 0; p < k; p++) {
    const off = (<usize>p) * acs;
    if (load<T>(ai + off) != <T>0 || load<T>(aj + off) != <T>0) {
      store<i32>(nz + ((<usize>cnt) << 2), p);
      cnt++;
    }
  }
  return cnt;
}

@inline function gather1<T>(ai: usize, acs: usize, k: i32, nz: usize): i32 {
  let cnt = 0;
  for (let p = 0; p < k; p++) {
    if (load<T>(ai + (<usize>p) * acs) != <T>0) {
      store<i32>(nz + ((<usize>cnt) << 2), p);
      cnt++;
    }
  }
  return cnt;
}

/** C (m x n) += A (m x k) * B (k x n) over elements of type T (f64: 2 lanes per v128, f32: 4). */
function gemm<T>(m: i32, k: i32, n: i32, a: usize, ars: i32, acs: i32, b: usize, c: usize, nz: usize): void {
  const sh = alignof<T>();
  const lanes = <i32>(16 / sizeof<T>());
  const rs = (<usize>ars) << sh;
  const cs = (<usize>acs) << sh;
  const rowB = (<usize>n) << sh;
  const nv = n & ~(lanes - 1);
  for (let i = 0; i < m; i += 2) {
    const ai = a + (<usize>i) * rs;
    const ci = c + (<usize>i) * rowB;
    if (i + 1 < m) {
      const aj = ai + rs;
      const cj = ci + rowB;
      const cnt = gather2<T>(ai, aj, cs, k, nz);
      const cnt4 = cnt & ~3;
      let q = 0;
      for (; q < cnt4; q += 4) {
        const qp = nz + ((<usize>q) << 2);
        const p0 = <usize>load<i32>(qp);
        const p1 = <usize>load<i32>(qp, 4);
        const p2 = <usize>load<i32>(qp, 8);
        const p3 = <usize>load<i32>(qp, 12);
        const a0 = load<T>(ai + p0 * cs);
        const a1 = load<T>(ai + p1 * cs);
        const a2 = load<T>(ai + p2 * cs);
        const a3 = load<T>(ai + p3 * cs);
        const e0 = load<T>(aj + p0 * cs);
        const e1 = load<T>(aj + p1 * cs);
        const e2 = load<T>(aj + p2 * cs);
        const e3 = load<T>(aj + p3 * cs);
        const va0 = v128.splat<T>(a0);
        const va1 = v128.splat<T>(a1);
        const va2 = v128.splat<T>(a2);
        const va3 = v128.splat<T>(a3);
        const ve0 = v128.splat<T>(e0);
        const ve1 = v128.splat<T>(e1);
        const ve2 = v128.splat<T>(e2);
        const ve3 = v128.splat<T>(e3);
        const b0 = b + p0 * rowB;
        const b1 = b + p1 * rowB;
        const b2 = b + p2 * rowB;
        const b3 = b + p3 * rowB;
        let j = 0;
        for (; j < nv; j += lanes) {
          const o = (<usize>j) << sh;
          const x0 = v128.load(b0 + o);
          const x1 = v128.load(b1 + o);
          const x2 = v128.load(b2 + o);
          const x3 = v128.load(b3 + o);
          let s = v128.load(ci + o);
          s = v128.add<T>(s, v128.add<T>(v128.add<T>(v128.mul<T>(va0, x0), v128.mul<T>(va1, x1)), v128.add<T>(v128.mul<T>(va2, x2), v128.mul<T>(va3, x3))));
          v128.store(ci + o, s);
          let t = v128.load(cj + o);
          t = v128.add<T>(t, v128.add<T>(v128.add<T>(v128.mul<T>(ve0, x0), v128.mul<T>(ve1, x1)), v128.add<T>(v128.mul<T>(ve2, x2), v128.mul<T>(ve3, x3))));
          v128.store(cj + o, t);
        }
        for (; j < n; j++) {
          const o = (<usize>j) << sh;
          const x0 = load<T>(b0 + o);
          const x1 = load<T>(b1 + o);
          const x2 = load<T>(b2 + o);
          const x3 = load<T>(b3 + o);
          store<T>(ci + o, load<T>(ci + o) + (a0 * x0 + a1 * x1 + (a2 * x2 + a3 * x3)));
          store<T>(cj + o, load<T>(cj + o) + (e0 * x0 + e1 * x1 + (e2 * x2 + e3 * x3)));
        }
      }
      for (; q < cnt; q++) {
        const p = <usize>load<i32>(nz + ((<usize>q) << 2));
        const a0 = load<T>(ai + p * cs);
        const e0 = load<T>(aj + p * cs);
        const va0 = v128.splat<T>(a0);
        const ve0 = v128.splat<T>(e0);
        const b0 = b + p * rowB;
        let j = 0;
        for (; j < nv; j += lanes) {
          const o = (<usize>j) << sh;
          const x0 = v128.load(b0 + o);
          v128.store(ci + o, v128.add<T>(v128.load(ci + o), v128.mul<T>(va0, x0)));
          v128.store(cj + o, v128.add<T>(v128.load(cj + o), v128.mul<T>(ve0, x0)));
        }
        for (; j < n; j++) {
          const o = (<usize>j) << sh;
          const x0 = load<T>(b0 + o);
          store<T>(ci + o, load<T>(ci + o) + a0 * x0);
          store<T>(cj + o, load<T>(cj + o) + e0 * x0);
        }
      }
    } else {
      const cnt = gather1<T>(ai, cs, k, nz);
      for (let q = 0; q < cnt; q++) {
        const p = <usize>load<i32>(nz + ((<usize>q) << 2));
        const a0 = load<T>(ai + p * cs);
        const va0 = v128.splat<T>(a0);
        const b0 = b + p * rowB;
        let j = 0;
        for (; j < nv; j += lanes) {
          const o = (<usize>j) << sh;
          v128.store(ci + o, v128.add<T>(v128.load(ci + o), v128.mul<T>(va0, v128.load(b0 + o))));
        }
        for (; j < n; j++) {
          const o = (<usize>j) << sh;
          store<T>(ci + o, load<T>(ci + o) + a0 * load<T>(b0 + o));
        }
      }
    }
  }
}

export function gemmF64(m: i32, k: i32, n: i32, a: usize, ars: i32, acs: i32, b: usize, c: usize, nz: usize): void {
  gemm<f64>(m, k, n, a, ars, acs, b, c, nz);
}

/** The same product in float32, 4 lanes per v128. */
export function gemmF32(m: i32, k: i32, n: i32, a: usize, ars: i32, acs: i32, b: usize, c: usize, nz: usize): void {
  gemm<f32>(m, k, n, a, ars, acs, b, c, nz);
}

/** dst (cols x rows) = transpose of src (rows x cols) over elements of type T. */
function transpose<T>(src: usize, rows: i32, cols: i32, dst: usize): void {
  const sh = alignof<T>();
  for (let i = 0; i < rows; i++) {
    const si = src + ((<usize>i * <usize>cols) << sh);
    for (let j = 0; j < cols; j++) store<T>(dst + ((<usize>j * <usize>rows + <usize>i) << sh), load<T>(si + ((<usize>j) << sh)));
  }
}

/** dst (cols x rows) = transpose of src (rows x cols), float64. */
export function transposeF64(src: usize, rows: i32, cols: i32, dst: usize): void {
  transpose<f64>(src, rows, cols, dst);
}

/** dst (cols x rows) = transpose of src (rows x cols), float32. */
export function transposeF32(src: usize, rows: i32, cols: i32, dst: usize): void {
  transpose<f32>(src, rows, cols, dst);
}

// adamF64: one Adam step over n parameters, in place (w, m, v updated; g read). The same float64
// operations in the same order as src/nn/optim.ts (adamL2 / adamDecoupled), two lanes at a time:
// sqrt and division are correctly rounded in both, and nothing is fused, so the results are
// bit-identical to the JavaScript loop. decoupled = 0: L2 weight decay in the gradient (g + wd w);
// 1: AdamW (+ wd w beside the step).
export function adamF64(n: i32, w: usize, g: usize, m: usize, v: usize, b1: f64, b2: f64, c1: f64, c2: f64, eps: f64, lr: f64, wd: f64, decoupled: i32): void {
  const a1 = 1.0 - b1;
  const a2 = 1.0 - b2;
  const vb1 = f64x2.splat(b1);
  const vb2 = f64x2.splat(b2);
  const va1 = f64x2.splat(a1);
  const va2 = f64x2.splat(a2);
  const vc1 = f64x2.splat(c1);
  const vc2 = f64x2.splat(c2);
  const veps = f64x2.splat(eps);
  const vlr = f64x2.splat(lr);
  const vwd = f64x2.splat(wd);
  const n2 = n & ~1;
  let i = 0;
  if (decoupled == 0) {
    for (; i < n2; i += 2) {
      const o = (<usize>i) << 3;
      const wi = v128.load(w + o);
      const gi = f64x2.add(v128.load(g + o), f64x2.mul(vwd, wi));
      const mi = f64x2.add(f64x2.mul(vb1, v128.load(m + o)), f64x2.mul(va1, gi));
      const vi = f64x2.add(f64x2.mul(vb2, v128.load(v + o)), f64x2.mul(f64x2.mul(va2, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      v128.store(w + o, f64x2.sub(wi, f64x2.mul(vlr, f64x2.div(f64x2.mul(mi, vc1), f64x2.add(f64x2.sqrt(f64x2.mul(vi, vc2)), veps)))));
    }
    for (; i < n; i++) {
      const o = (<usize>i) << 3;
      const wi = load<f64>(w + o);
      const gi = load<f64>(g + o) + wd * wi;
      const mi = b1 * load<f64>(m + o) + a1 * gi;
      const vi = b2 * load<f64>(v + o) + a2 * gi * gi;
      store<f64>(m + o, mi);
      store<f64>(v + o, vi);
      store<f64>(w + o, wi - lr * ((mi * c1) / (Math.sqrt(vi * c2) + eps)));
    }
    return;
  }
  for (; i < n2; i += 2) {
    const o = (<usize>i) << 3;
    const wi = v128.load(w + o);
    const gi = v128.load(g + o);
    const mi = f64x2.add(f64x2.mul(vb1, v128.load(m + o)), f64x2.mul(va1, gi));
    const vi = f64x2.add(f64x2.mul(vb2, v128.load(v + o)), f64x2.mul(f64x2.mul(va2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const upd = f64x2.add(f64x2.div(f64x2.mul(mi, vc1), f64x2.add(f64x2.sqrt(f64x2.mul(vi, vc2)), veps)), f64x2.mul(vwd, wi));
    v128.store(w + o, f64x2.sub(wi, f64x2.mul(vlr, upd)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 3;
    const wi = load<f64>(w + o);
    const gi = load<f64>(g + o);
    const mi = b1 * load<f64>(m + o) + a1 * gi;
    const vi = b2 * load<f64>(v + o) + a2 * gi * gi;
    store<f64>(m + o, mi);
    store<f64>(v + o, vi);
    store<f64>(w + o, wi - lr * ((mi * c1) / (Math.sqrt(vi * c2) + eps) + wd * wi));
  }
}

/** out = a + b over n float64 values (f64x2 lanes; the same correctly rounded sums as a scalar loop). */
export function addF64(n: i32, a: usize, b: usize, out: usize): void {
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(out + o, f64x2.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 3;
    store<f64>(out + o, load<f64>(a + o) + load<f64>(b + o));
  }
}
