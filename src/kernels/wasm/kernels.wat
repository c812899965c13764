;; weft's fast kernels: WebAssembly SIMD128 (never relaxed-SIMD), float32 storage, float64
;; arithmetic. Each output keeps the reference kernel's one sequential accumulation, in the
;; reference's order (src/kernels/reference.ts): lanes run across independent outputs, never
;; across one sum, so every stored value has the reference's bits.
;;
;; Operands arrive as float64 copies laid out for the lanes (to_f64_rows, pack_w4, to_f64_cols),
;; padded so that a block of 4 × 4 outputs never needs a scalar tail; padded lanes are computed
;; and dropped. Built by scripts/build-wasm.ts into kernels.wasm (committed; a test rebuilds it).
(module
  (import "env" "memory" (memory 1 16384 shared))

  ;; dst (f64, rows × cols, then padRows − rows zero rows) = src (f32, rows × cols)
  (func $to_f64_rows (param $dst i32) (param $src i32) (param $n i32) (param $padN i32)
    (local $i i32)
    (local.set $i (i32.const 0))
    ;; two at a time: the low two f32 lanes promoted to f64x2
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
      (v128.store
        (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then (f64.store
        (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))))
    ;; the padding: zeros (its lanes are never stored, but must hold finite, harmless values)
    (memory.fill
      (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 3)))
      (i32.const 0)
      (i32.shl (i32.sub (local.get $padN) (local.get $n)) (i32.const 3))))

  ;; dst (f64, rows × padCols) = src (f32, rows × cols), columns cols…padCols−1 zero
  (func $to_f64_cols (param $dst i32) (param $src i32) (param $rows i32) (param $cols i32) (param $padCols i32)
    (local $r i32) (local $c i32) (local $d i32) (local $s i32)
    (local.set $r (i32.const 0))
    (block $done_r (loop $lr
      (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $padCols)) (i32.const 3))))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $c (i32.const 0))
      (block $done_c (loop $lc
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $cols)))
        (f64.store (local.get $d) (f64.promote_f32 (f32.load (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 8)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lc)))
      (memory.fill (local.get $d) (i32.const 0) (i32.shl (i32.sub (local.get $padCols) (local.get $cols)) (i32.const 3)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))

  ;; dst: weight (f32, OC × C) in blocks of 4 outputs, each c holding w[4q..4q+3][c] as f64
  ;; (32 bytes): the lanes of the forward kernel. Outputs beyond OC are zero.
  (func $pack_w4 (param $dst i32) (param $w i32) (param $OC i32) (param $C i32)
    (local $q i32) (local $j i32) (local $c i32) (local $o i32) (local $d i32) (local $s i32)
    (local.set $q (i32.const 0))
    (block $done_q (loop $lq
      (br_if $done_q (i32.ge_u (local.get $q) (local.get $OC)))
      (local.set $j (i32.const 0))
      (block $done_j (loop $lj
        (br_if $done_j (i32.ge_u (local.get $j) (i32.const 4)))
        (local.set $o (i32.add (local.get $q) (local.get $j)))
        ;; block q/4, lane j: byte (q/4)·C·32 + c·32 + j·8
        (local.set $d (i32.add (local.get $dst) (i32.add (i32.shl (i32.mul (local.get $q) (local.get $C)) (i32.const 3)) (i32.shl (local.get $j) (i32.const 3)))))
        (local.set $s (i32.add (local.get $w) (i32.shl (i32.mul (local.get $o) (local.get $C)) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $done_c (loop $lc
          (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
          (f64.store (local.get $d)
            (if (result f64) (i32.lt_u (local.get $o) (local.get $OC))
              (then (f64.promote_f32 (f32.load (local.get $s))))
              (else (f64.const 0))))
          (local.set $d (i32.add (local.get $d) (i32.const 32)))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $lc)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $lq))))

  ;; up to 4 outputs from two f64x2 accumulators, each rounded once to f32; with a bias
  ;; (f32, added in f64 after the sum, as the reference does) when $b ≠ −1
  (func $store4 (param $dst i32) (param $b i32) (param $lo v128) (param $hi v128) (param $cnt i32)
    (call $store1 (local.get $dst) (local.get $b) (f64x2.extract_lane 0 (local.get $lo)))
    (if (i32.gt_u (local.get $cnt) (i32.const 1)) (then
      (call $store1 (i32.add (local.get $dst) (i32.const 4)) (call $next (local.get $b) (i32.const 4)) (f64x2.extract_lane 1 (local.get $lo)))))
    (if (i32.gt_u (local.get $cnt) (i32.const 2)) (then
      (call $store1 (i32.add (local.get $dst) (i32.const 8)) (call $next (local.get $b) (i32.const 8)) (f64x2.extract_lane 0 (local.get $hi)))))
    (if (i32.gt_u (local.get $cnt) (i32.const 3)) (then
      (call $store1 (i32.add (local.get $dst) (i32.const 12)) (call $next (local.get $b) (i32.const 12)) (f64x2.extract_lane 1 (local.get $hi))))))

  (func $next (param $b i32) (param $k i32) (result i32)
    (select (i32.const -1) (i32.add (local.get $b) (local.get $k)) (i32.eq (local.get $b) (i32.const -1))))

  ;; every NaN stored as the canonical quiet NaN (0x7fc00000): its sign and payload vary by
  ;; engine and instruction, and the reference kernels store the same
  (func $store1 (param $dst i32) (param $b i32) (param $acc f64)
    (local $v f32)
    (local.set $v (f32.demote_f64
      (if (result f64) (i32.eq (local.get $b) (i32.const -1))
        (then (local.get $acc))
        (else (f64.add (local.get $acc) (f64.promote_f32 (f32.load (local.get $b))))))))
    (f32.store (local.get $dst)
      (select (f32.const nan) (local.get $v) (f32.ne (local.get $v) (local.get $v)))))

  (func $min4 (param $a i32) (result i32)
    (select (local.get $a) (i32.const 4) (i32.lt_s (local.get $a) (i32.const 4))))

  ;; out (N, OC) = x (N, C) · wᵀ + bias: per output, Σ_c x·w in f64 over c ascending, + bias.
  ;; x: f64 rows (to_f64_rows, padded to a multiple of 4 rows); wp: pack_w4.
  ;; Blocks of 4 rows × 4 outputs: 8 f64x2 accumulators.
  (func $matmul_fwd (param $out i32) (param $x i32) (param $wp i32) (param $bias i32) (param $N i32) (param $C i32) (param $OC i32)
    (local $n i32) (local $o i32) (local $c i32) (local $rowB i32) (local $w i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $left i32)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (local.set $rowB (i32.shl (local.get $C) (i32.const 3)))
    (local.set $n (i32.const 0))
    (block $done_n (loop $ln
      (br_if $done_n (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $o (i32.const 0))
      (block $done_o (loop $lo
        (br_if $done_o (i32.ge_u (local.get $o) (local.get $OC)))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $b0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $b2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $rowB))))
        (local.set $x1 (i32.add (local.get $x0) (local.get $rowB)))
        (local.set $x2 (i32.add (local.get $x1) (local.get $rowB)))
        (local.set $x3 (i32.add (local.get $x2) (local.get $rowB)))
        (local.set $w (i32.add (local.get $wp) (i32.mul (local.get $o) (local.get $rowB))))
        (local.set $c (local.get $C))
        (block $done_c (loop $lc
          (br_if $done_c (i32.eqz (local.get $c)))
          (local.set $w0 (v128.load (local.get $w)))
          (local.set $w1 (v128.load offset=16 (local.get $w)))
          (local.set $v (v128.load64_splat (local.get $x0)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $x1)))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $x2)))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $x3)))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $x0 (i32.add (local.get $x0) (i32.const 8)))
          (local.set $x1 (i32.add (local.get $x1) (i32.const 8)))
          (local.set $x2 (i32.add (local.get $x2) (i32.const 8)))
          (local.set $x3 (i32.add (local.get $x3) (i32.const 8)))
          (local.set $w (i32.add (local.get $w) (i32.const 32)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br $lc)))
        (local.set $left (call $min4 (i32.sub (local.get $OC) (local.get $o))))
        (call $store4 (call $at (local.get $out) (local.get $n) (local.get $OC) (local.get $o)) (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0) (local.get $b0) (local.get $left))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N)) (then
          (call $store4 (call $at (local.get $out) (i32.add (local.get $n) (i32.const 1)) (local.get $OC) (local.get $o)) (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))) (local.get $a1) (local.get $b1) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
          (call $store4 (call $at (local.get $out) (i32.add (local.get $n) (i32.const 2)) (local.get $OC) (local.get $o)) (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))) (local.get $a2) (local.get $b2) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 3)) (local.get $N)) (then
          (call $store4 (call $at (local.get $out) (i32.add (local.get $n) (i32.const 3)) (local.get $OC) (local.get $o)) (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))) (local.get $a3) (local.get $b3) (local.get $left))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $lo)))
      (local.set $n (i32.add (local.get $n) (i32.const 4)))
      (br $ln))))

  ;; byte address of element (row, col) of an f32 matrix with `cols` columns
  (func $at (param $base i32) (param $row i32) (param $cols i32) (param $col i32) (result i32)
    (i32.add (local.get $base) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $cols)) (local.get $col)) (i32.const 2))))

  ;; dinp (N, C) = g (N, OC) · w (OC, C): per output, Σ_o g·w in f64 over o ascending.
  ;; g: f64 rows (to_f64_rows, padded to a multiple of 4 rows); w: f64 (to_f64_cols, C4 columns).
  (func $matmul_bwd_dinp (param $dinp i32) (param $g i32) (param $w i32) (param $N i32) (param $C i32) (param $OC i32) (param $C4 i32)
    (local $n i32) (local $c i32) (local $o i32) (local $rowB i32) (local $wRowB i32) (local $wc i32)
    (local $g0 i32) (local $g1 i32) (local $g2 i32) (local $g3 i32) (local $left i32)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (local.set $rowB (i32.shl (local.get $OC) (i32.const 3)))
    (local.set $wRowB (i32.shl (local.get $C4) (i32.const 3)))
    (local.set $n (i32.const 0))
    (block $done_n (loop $ln
      (br_if $done_n (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $lc
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $b0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $b2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
        (local.set $g0 (i32.add (local.get $g) (i32.mul (local.get $n) (local.get $rowB))))
        (local.set $g1 (i32.add (local.get $g0) (local.get $rowB)))
        (local.set $g2 (i32.add (local.get $g1) (local.get $rowB)))
        (local.set $g3 (i32.add (local.get $g2) (local.get $rowB)))
        (local.set $wc (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $o (local.get $OC))
        (block $done_o (loop $lo
          (br_if $done_o (i32.eqz (local.get $o)))
          (local.set $w0 (v128.load (local.get $wc)))
          (local.set $w1 (v128.load offset=16 (local.get $wc)))
          (local.set $v (v128.load64_splat (local.get $g0)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $g1)))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $g2)))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load64_splat (local.get $g3)))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (local.get $w0))))
          (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $v) (local.get $w1))))
          (local.set $g0 (i32.add (local.get $g0) (i32.const 8)))
          (local.set $g1 (i32.add (local.get $g1) (i32.const 8)))
          (local.set $g2 (i32.add (local.get $g2) (i32.const 8)))
          (local.set $g3 (i32.add (local.get $g3) (i32.const 8)))
          (local.set $wc (i32.add (local.get $wc) (local.get $wRowB)))
          (local.set $o (i32.sub (local.get $o) (i32.const 1)))
          (br $lo)))
        (local.set $left (call $min4 (i32.sub (local.get $C) (local.get $c))))
        (call $store4 (call $at (local.get $dinp) (local.get $n) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a0) (local.get $b0) (local.get $left))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N)) (then
          (call $store4 (call $at (local.get $dinp) (i32.add (local.get $n) (i32.const 1)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a1) (local.get $b1) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
          (call $store4 (call $at (local.get $dinp) (i32.add (local.get $n) (i32.const 2)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a2) (local.get $b2) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 3)) (local.get $N)) (then
          (call $store4 (call $at (local.get $dinp) (i32.add (local.get $n) (i32.const 3)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a3) (local.get $b3) (local.get $left))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $lc)))
      (local.set $n (i32.add (local.get $n) (i32.const 4)))
      (br $ln))))

  ;; dweight (OC, C) = Σ_n g[n,o]·x[n,c], n ascending; g, x: f64 rows (to_f64_rows, with at
  ;; least one padding row, so a block reading past a row's end stays in the buffer). g's rows
  ;; are $gStride wide: a thread computes OC rows of dweight from column o0 of g (g + 8·o0).
  (func $matmul_bwd_dw (param $dw i32) (param $g i32) (param $x i32) (param $N i32) (param $C i32) (param $OC i32) (param $gStride i32)
    (local $o i32) (local $c i32) (local $n i32) (local $gRowB i32) (local $xRowB i32)
    (local $gp i32) (local $xp i32) (local $left i32)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $x0 v128) (local $x1 v128) (local $v v128)
    (local.set $gRowB (i32.shl (local.get $gStride) (i32.const 3)))
    (local.set $xRowB (i32.shl (local.get $C) (i32.const 3)))
    (local.set $o (i32.const 0))
    (block $done_o (loop $lo
      (br_if $done_o (i32.ge_u (local.get $o) (local.get $OC)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $lc
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $b0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $b2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
        (local.set $gp (i32.add (local.get $g) (i32.shl (local.get $o) (i32.const 3))))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $n (local.get $N))
        (block $done_n (loop $ln
          (br_if $done_n (i32.eqz (local.get $n)))
          (local.set $x0 (v128.load (local.get $xp)))
          (local.set $x1 (v128.load offset=16 (local.get $xp)))
          (local.set $v (v128.load64_splat (local.get $gp)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (local.get $x0))))
          (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load64_splat offset=8 (local.get $gp)))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (local.get $x0))))
          (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load64_splat offset=16 (local.get $gp)))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (local.get $x0))))
          (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load64_splat offset=24 (local.get $gp)))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (local.get $x0))))
          (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $v) (local.get $x1))))
          (local.set $gp (i32.add (local.get $gp) (local.get $gRowB)))
          (local.set $xp (i32.add (local.get $xp) (local.get $xRowB)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $ln)))
        (local.set $left (call $min4 (i32.sub (local.get $C) (local.get $c))))
        (call $store4 (call $at (local.get $dw) (local.get $o) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a0) (local.get $b0) (local.get $left))
        (if (i32.lt_u (i32.add (local.get $o) (i32.const 1)) (local.get $OC)) (then
          (call $store4 (call $at (local.get $dw) (i32.add (local.get $o) (i32.const 1)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a1) (local.get $b1) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $o) (i32.const 2)) (local.get $OC)) (then
          (call $store4 (call $at (local.get $dw) (i32.add (local.get $o) (i32.const 2)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a2) (local.get $b2) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $o) (i32.const 3)) (local.get $OC)) (then
          (call $store4 (call $at (local.get $dw) (i32.add (local.get $o) (i32.const 3)) (local.get $C) (local.get $c)) (i32.const -1) (local.get $a3) (local.get $b3) (local.get $left))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $lc)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $lo))))

  ;; dbias (OC) = Σ_n g[n,o], n ascending; g: f64 rows $gStride wide, with a padding row
  (func $matmul_bwd_dbias (param $db i32) (param $g i32) (param $N i32) (param $OC i32) (param $gStride i32)
    (local $o i32) (local $n i32) (local $gp i32) (local $acc v128) (local $rowB i32)
    (local.set $rowB (i32.shl (local.get $gStride) (i32.const 3)))
    (local.set $o (i32.const 0))
    (block $done_o (loop $lo
      (br_if $done_o (i32.ge_u (local.get $o) (local.get $OC)))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $gp (i32.add (local.get $g) (i32.shl (local.get $o) (i32.const 3))))
      (local.set $n (local.get $N))
      (block $done_n (loop $ln
        (br_if $done_n (i32.eqz (local.get $n)))
        (local.set $acc (f64x2.add (local.get $acc) (v128.load (local.get $gp))))
        (local.set $gp (i32.add (local.get $gp) (local.get $rowB)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $ln)))
      (call $store1 (i32.add (local.get $db) (i32.shl (local.get $o) (i32.const 2))) (i32.const -1) (f64x2.extract_lane 0 (local.get $acc)))
      (if (i32.lt_u (i32.add (local.get $o) (i32.const 1)) (local.get $OC)) (then
        (call $store1 (i32.add (local.get $db) (i32.shl (i32.add (local.get $o) (i32.const 1)) (i32.const 2))) (i32.const -1) (f64x2.extract_lane 1 (local.get $acc)))))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))
      (br $lo))))

  ;; ---- activations: tanh-GELU and tanh, forward and backward, two elements per f64x2 ----
  ;; tanh and expm1 as in src/math/elementary.ts, operation for operation, with each of its
  ;; branches computed in every lane and the lane's own branch selected: the same bits.
  ;; A constant written as a dollar sign and braces around an expression is evaluated by
  ;; scripts/build-wasm.ts in JavaScript and written as an exact
  ;; hexadecimal float, so it has the bits the TypeScript kernels compute it to.

  ;; expm1(y) for y ≤ 0 (tanh's argument −2|x|), elementary.ts expm1's branches for that range; a
  ;; branch no lane takes is skipped. The series (elementary.ts expm1Reduced: Taylor to degree 14,
  ;; Horner order) is written out in place: V8 does not inline WebAssembly calls, and a call
  ;; spills the vector registers.
  (func $expm1_neg (param $y v128) (result v128)
    (local $k v128) (local $r v128) (local $twoK v128) (local $e v128) (local $small v128) (local $p v128)
    (local.set $small (f64x2.lt (f64x2.abs (local.get $y)) (v128.const f64x2 0.34657359027997264 0.34657359027997264)))
    (if (v128.any_true (v128.not (local.get $small))) (then
      (local.set $k (f64x2.floor (f64x2.add (f64x2.mul (local.get $y) (v128.const f64x2 ${1.4426950408889634} ${1.4426950408889634})) (v128.const f64x2 0.5 0.5))))
      (local.set $r (f64x2.sub
        (f64x2.sub (local.get $y) (f64x2.mul (local.get $k) (v128.const f64x2 ${6.93147180369123816490e-1} ${6.93147180369123816490e-1})))
        (f64x2.mul (local.get $k) (v128.const f64x2 ${1.90821492927058770002e-10} ${1.90821492927058770002e-10}))))
      (local.set $twoK (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k))) (v128.const i64x2 1023 1023))
        (i32.const 52)))
        (local.set $p (v128.const f64x2 ${1 / 87178291200} ${1 / 87178291200}))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 6227020800} ${1 / 6227020800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 479001600} ${1 / 479001600})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 39916800} ${1 / 39916800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 3628800} ${1 / 3628800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 362880} ${1 / 362880})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 40320} ${1 / 40320})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 5040} ${1 / 5040})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 720} ${1 / 720})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 120} ${1 / 120})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 24} ${1 / 24})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 6} ${1 / 6})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.5 0.5)))
        (local.set $p (f64x2.add (f64x2.mul (f64x2.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r)))
      (local.set $e (f64x2.add
        (f64x2.mul (local.get $twoK) (local.get $p))
        (f64x2.sub (local.get $twoK) (v128.const f64x2 1 1))))))
    (if (v128.any_true (local.get $small)) (then
        (local.set $p (v128.const f64x2 ${1 / 87178291200} ${1 / 87178291200}))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 6227020800} ${1 / 6227020800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 479001600} ${1 / 479001600})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 39916800} ${1 / 39916800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 3628800} ${1 / 3628800})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 362880} ${1 / 362880})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 40320} ${1 / 40320})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 5040} ${1 / 5040})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 720} ${1 / 720})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 120} ${1 / 120})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 24} ${1 / 24})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 ${1 / 6} ${1 / 6})))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $y)) (v128.const f64x2 0.5 0.5)))
        (local.set $p (f64x2.add (f64x2.mul (f64x2.mul (local.get $p) (local.get $y)) (local.get $y)) (local.get $y)))
      (local.set $e (v128.bitselect (local.get $p) (local.get $e) (local.get $small)))))
    (v128.bitselect (v128.const f64x2 -1 -1) (local.get $e) (f64x2.lt (local.get $y) (v128.const f64x2 -40 -40))))

  ;; tanh(x) = −u/(2 + u), u = expm1(−2|x|), with the sign of x; ±1 past |x| > 22; ±0 kept
  (func $tanh2 (param $x v128) (result v128)
    (local $a v128) (local $u v128) (local $t v128) (local $neg v128)
    (local.set $a (f64x2.abs (local.get $x)))
    (local.set $u (call $expm1_neg (f64x2.mul (v128.const f64x2 -2 -2) (local.get $a))))
    (local.set $t (f64x2.div (f64x2.neg (local.get $u)) (f64x2.add (v128.const f64x2 2 2) (local.get $u))))
    (local.set $neg (f64x2.lt (local.get $x) (v128.const f64x2 0 0)))
    (local.set $t (v128.bitselect (f64x2.neg (local.get $t)) (local.get $t) (local.get $neg)))
    (local.set $t (v128.bitselect
      (v128.bitselect (v128.const f64x2 -1 -1) (v128.const f64x2 1 1) (local.get $neg))
      (local.get $t)
      (f64x2.gt (local.get $a) (v128.const f64x2 22 22))))
    (v128.bitselect (local.get $x) (local.get $t) (f64x2.eq (local.get $x) (v128.const f64x2 0 0))))

  ;; the GELU's inner argument K·(x + C·x·x·x), evaluated as reference.ts does
  (func $gelu_inner (param $x v128) (result v128)
    (f64x2.mul (v128.const f64x2 ${Math.sqrt(2 / Math.PI)} ${Math.sqrt(2 / Math.PI)})
      (f64x2.add (local.get $x)
        (f64x2.mul (f64x2.mul (f64x2.mul (v128.const f64x2 ${0.044715} ${0.044715}) (local.get $x)) (local.get $x)) (local.get $x)))))

  ;; one pair of elements: kind 0 GELU, 1 tanh; forward (g ignored) or backward (× g)
  (func $act2 (param $kind i32) (param $backward i32) (param $x v128) (param $g v128) (result v128)
    (local $t v128)
    (if (result v128) (i32.eqz (local.get $kind))
      (then
        (local.set $t (call $tanh2 (call $gelu_inner (local.get $x))))
        (if (result v128) (i32.eqz (local.get $backward))
          ;; 0.5·x·(1 + t)
          (then (f64x2.mul (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $x)) (f64x2.add (v128.const f64x2 1 1) (local.get $t))))
          ;; (0.5·(1 + t) + 0.5·x·dt)·g, dt = (1 − t·t)·K·(1 + 3C·x·x)
          (else (f64x2.mul
            (f64x2.add
              (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.add (v128.const f64x2 1 1) (local.get $t)))
              (f64x2.mul (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $x))
                (f64x2.mul
                  (f64x2.mul (f64x2.sub (v128.const f64x2 1 1) (f64x2.mul (local.get $t) (local.get $t))) (v128.const f64x2 ${Math.sqrt(2 / Math.PI)} ${Math.sqrt(2 / Math.PI)}))
                  (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (f64x2.mul (v128.const f64x2 ${3 * 0.044715} ${3 * 0.044715}) (local.get $x)) (local.get $x))))))
            (local.get $g)))))
      (else
        (local.set $t (call $tanh2 (local.get $x)))
        (if (result v128) (i32.eqz (local.get $backward))
          (then (local.get $t))
          ;; (1 − t·t)·g
          (else (f64x2.mul (f64x2.sub (v128.const f64x2 1 1) (f64x2.mul (local.get $t) (local.get $t))) (local.get $g)))))))

  ;; two f64 lanes rounded to f32, NaN canonical, stored (one lane when $one)
  (func $store2 (param $dst i32) (param $v v128) (param $one i32)
    (local $f v128)
    (local.set $f (f32x4.demote_f64x2_zero (local.get $v)))
    (local.set $f (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $f) (f32x4.ne (local.get $f) (local.get $f))))
    (if (local.get $one)
      (then (v128.store32_lane 0 (local.get $dst) (local.get $f)))
      (else (v128.store64_lane 0 (local.get $dst) (local.get $f)))))

  ;; out[i] = act(inp[i]) (forward) or act′(inp[i])·dout[i] (backward), i < n
  (func (export "activation") (param $kind i32) (param $backward i32) (param $out i32) (param $inp i32) (param $dout i32) (param $n i32)
    (local $i i32) (local $x v128) (local $g v128)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
      (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $inp) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dout) (i32.shl (local.get $i) (i32.const 2))))))
      (call $store2 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $act2 (local.get $kind) (local.get $backward) (local.get $x) (local.get $g)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $i) (local.get $n)) (then
      (local.set $x (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $inp) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $g (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $dout) (i32.shl (local.get $i) (i32.const 2))))))
      (call $store2 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $act2 (local.get $kind) (local.get $backward) (local.get $x) (local.get $g)) (i32.const 1)))))

  ;; ---- attention: exp as elementary.ts's, and the causal softmax attention of reference.ts ----

  ;; e^r for |r| ≤ ln2/2: Taylor to degree 14, Horner order (elementary.ts expReduced)
  (func $exp_reduced (param $r v128) (result v128)
    (local $p v128)
    (local.set $p (v128.const f64x2 ${1 / 87178291200} ${1 / 87178291200}))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 6227020800} ${1 / 6227020800})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 479001600} ${1 / 479001600})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 39916800} ${1 / 39916800})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 3628800} ${1 / 3628800})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 362880} ${1 / 362880})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 40320} ${1 / 40320})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 5040} ${1 / 5040})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 720} ${1 / 720})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 120} ${1 / 120})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 24} ${1 / 24})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 ${1 / 6} ${1 / 6})))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.5 0.5)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1 1)))
    (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1 1)))

  ;; 2^k for integral k in [−1022, 1023], from its bits
  (func $pow2 (param $k v128) (result v128)
    (i64x2.shl
      (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k))) (v128.const i64x2 1023 1023))
      (i32.const 52)))

  ;; e^x, elementary.ts exp: NaN, overflow to Inf, underflow to 0, and 2^k·e^r with k < −1022 in two factors
  (func $exp2 (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $e v128) (local $low v128)
    (local.set $k (f64x2.floor (f64x2.add (f64x2.mul (local.get $x) (v128.const f64x2 ${1.4426950408889634} ${1.4426950408889634})) (v128.const f64x2 0.5 0.5))))
    (local.set $r (f64x2.sub
      (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (v128.const f64x2 ${6.93147180369123816490e-1} ${6.93147180369123816490e-1})))
      (f64x2.mul (local.get $k) (v128.const f64x2 ${1.90821492927058770002e-10} ${1.90821492927058770002e-10}))))
    (local.set $e (call $exp_reduced (local.get $r)))
    ;; k < −1022: e·2^(k+600)·2^−600 (two normal factors)
    (local.set $low (f64x2.lt (local.get $k) (v128.const f64x2 -1022 -1022)))
    (local.set $e (v128.bitselect
      (f64x2.mul (f64x2.mul (local.get $e) (call $pow2 (f64x2.add (local.get $k) (v128.const f64x2 600 600)))) (call $pow2 (v128.const f64x2 -600 -600)))
      (f64x2.mul (local.get $e) (call $pow2 (v128.bitselect (v128.const f64x2 0 0) (local.get $k) (local.get $low))))
      (local.get $low)))
    (local.set $e (v128.bitselect (v128.const f64x2 0 0) (local.get $e) (f64x2.lt (local.get $x) (v128.const f64x2 ${-745.1332191019412} ${-745.1332191019412}))))
    (local.set $e (v128.bitselect (v128.const f64x2 inf inf) (local.get $e) (f64x2.gt (local.get $x) (v128.const f64x2 ${709.782712893384} ${709.782712893384}))))
    (v128.bitselect (local.get $x) (local.get $e) (f64x2.ne (local.get $x) (local.get $x))))

  (func $canonical64 (param $v v128) (result v128)
    (v128.bitselect (v128.const f64x2 nan nan) (local.get $v) (f64x2.ne (local.get $v) (local.get $v))))


  ;; per (b, h): q, v as f64 rows of hdp (hd rounded up to even, zero padded) and k transposed,
  ;; kt (hd × Tp, T rounded up to even, zero padded) — the lanes run over i or over t2
  (func $attn_gather (param $qkv i32) (param $b i32) (param $h i32) (param $T i32) (param $C i32) (param $hd i32) (param $hdp i32) (param $Tp i32)
      (param $qf i32) (param $kf i32) (param $vf i32) (param $kt i32) (param $vt i32)
    (local $t i32) (local $i i32) (local $row i32)
    (memory.fill (local.get $qf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3)))
    (memory.fill (local.get $kf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3)))
    (memory.fill (local.get $vf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3)))
    (memory.fill (local.get $kt) (i32.const 0) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3)))
    (memory.fill (local.get $vt) (i32.const 0) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3)))
    (local.set $t (i32.const 0))
    (block $dt (loop $lt
      (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
      ;; byte address of q[b, t, h·hd]
      (local.set $row (i32.add (local.get $qkv) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (i32.mul (local.get $C) (i32.const 3))) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $di (loop $li
        (br_if $di (i32.ge_u (local.get $i) (local.get $hd)))
        (f64.store (i32.add (local.get $qf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3)))
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))
        (f64.store (i32.add (local.get $kf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3)))
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.add (local.get $C) (local.get $i)) (i32.const 2))))))
        (f64.store (i32.add (local.get $vf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3)))
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $i)) (i32.const 2))))))
        (f64.store (i32.add (local.get $kt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Tp)) (local.get $t)) (i32.const 3)))
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.add (local.get $C) (local.get $i)) (i32.const 2))))))
        (f64.store (i32.add (local.get $vt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Tp)) (local.get $t)) (i32.const 3)))
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $i)) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lt))))

  ;; store lanes 0 and (when $two) 1 of an f64x2 as f64
  (func $st64 (param $dst i32) (param $v v128) (param $two i32)
    (if (local.get $two)
      (then (v128.store (local.get $dst) (local.get $v)))
      (else (v128.store64_lane 0 (local.get $dst) (local.get $v)))))

  ;; out (B,T,C), att (B,NH,T,T) float64, from qkv (B,T,3C): reference.ts attentionForward.
  ;; scratch: 3·T·hdp + 2·hd·Tp + Tp doubles.
  (func (export "attn_fwd") (param $out i32) (param $att i32) (param $qkv i32) (param $B i32) (param $T i32) (param $C i32) (param $NH i32) (param $scratch i32)
    (local $hd i32) (local $hdp i32) (local $Tp i32) (local $b i32) (local $h i32) (local $t i32) (local $t2 i32) (local $i i32)
    (local $qf i32) (local $kf i32) (local $vf i32) (local $kt i32) (local $vt i32) (local $row i32) (local $a i32) (local $o i32)
    (local $scale f64) (local $max f64) (local $sum f64) (local $inv f64) (local $x f64)
    (local $acc v128)
    (local.set $hd (i32.div_u (local.get $C) (local.get $NH)))
    (local.set $hdp (i32.and (i32.add (local.get $hd) (i32.const 1)) (i32.const -2)))
    (local.set $Tp (i32.and (i32.add (local.get $T) (i32.const 1)) (i32.const -2)))
    (local.set $scale (f64.div (f64.const 1) (f64.sqrt (f64.convert_i32_u (local.get $hd)))))
    (local.set $qf (local.get $scratch))
    (local.set $kf (i32.add (local.get $qf) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3))))
    (local.set $vf (i32.add (local.get $kf) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3))))
    (local.set $kt (i32.add (local.get $vf) (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3))))
    (local.set $vt (i32.add (local.get $kt) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3))))
    (local.set $row (i32.add (local.get $vt) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3))))
    (local.set $b (i32.const 0))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $h (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $h) (local.get $NH)))
        (call $attn_gather (local.get $qkv) (local.get $b) (local.get $h) (local.get $T) (local.get $C) (local.get $hd) (local.get $hdp) (local.get $Tp)
          (local.get $qf) (local.get $kf) (local.get $vf) (local.get $kt) (local.get $vt))
        (local.set $t (i32.const 0))
        (block $dt (loop $lt
          (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
          ;; scores s[t2] = (Σ_i q·k) · scale, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $ds (loop $ls
            (br_if $ds (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $i (i32.const 0))
            (block $di (loop $li
              (br_if $di (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul
                (v128.load64_splat (i32.add (local.get $qf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3))))
                (v128.load (i32.add (local.get $kt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Tp)) (local.get $t2)) (i32.const 3)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $li)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3))) (f64x2.mul (local.get $acc) (f64x2.splat (local.get $scale))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 2)))
            (br $ls)))
          ;; max over t2 ≤ t, in order; NaN never wins (as `s > max` in the reference)
          (local.set $max (f64.const -inf))
          (local.set $t2 (i32.const 0))
          (block $dm (loop $lm
            (br_if $dm (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $x (f64.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3)))))
            (if (f64.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lm)))
          ;; e = exp(s − max), lanes over t2; then the sum in order
          (local.set $t2 (i32.const 0))
          (block $de (loop $le
            (br_if $de (i32.gt_u (local.get $t2) (local.get $t)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3)))
              (call $exp2 (f64x2.sub (v128.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3)))) (f64x2.splat (local.get $max)))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 2)))
            (br $le)))
          (local.set $sum (f64.const 0))
          (local.set $t2 (i32.const 0))
          (block $dsum (loop $lsum
            (br_if $dsum (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3))))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lsum)))
          (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
          ;; att[b,h,t,t2] = e·inv (canonical NaN), 0 beyond t
          (local.set $a (i32.add (local.get $att) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH)) (local.get $h)) (local.get $T)) (local.get $t)) (local.get $T)) (i32.const 3))))
          (local.set $t2 (i32.const 0))
          (block $dn (loop $ln
            (br_if $dn (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $acc (call $canonical64 (f64x2.mul (v128.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3)))) (f64x2.splat (local.get $inv)))))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3))) (local.get $acc))
            (call $st64 (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))) (local.get $acc) (i32.lt_u (i32.add (local.get $t2) (i32.const 1)) (i32.add (local.get $t) (i32.const 1))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 2)))
            (br $ln)))
          (local.set $t2 (i32.add (local.get $t) (i32.const 1)))
          (block $dz (loop $lz
            (br_if $dz (i32.ge_u (local.get $t2) (local.get $T)))
            (f64.store (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))) (f64.const 0))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lz)))
          ;; out[b,t,h·hd+i] = Σ_t2 att·v over t2 ascending, lanes over i
          (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (local.get $C)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $dy (loop $ly
            (br_if $dy (i32.ge_u (local.get $i) (local.get $hd)))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $t2 (i32.const 0))
            (block $dv (loop $lv
              (br_if $dv (i32.gt_u (local.get $t2) (local.get $t)))
              (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul
                (v128.load64_splat (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 3))))
                (v128.load (i32.add (local.get $vf) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3)))))))
              (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
              (br $lv)))
            (call $store2 (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))) (local.get $acc) (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $hd)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $ly)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $lt)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $lb))))


  ;; dqkv (B,T,3C) from dout (B,T,C), qkv, att: reference.ts attentionBackward. Per (b, h) the
  ;; gradients accumulate in f64 over t ascending, in the reference's order, lanes over i or t2.
  ;; scratch: 3·T·hdp + 2·hd·Tp (the gathered q, k, v) + 3·T·hdp (dq, dk, dv) + 2·Tp doubles.
  (func (export "attn_bwd") (param $dqkv i32) (param $dout i32) (param $qkv i32) (param $att i32) (param $B i32) (param $T i32) (param $C i32) (param $NH i32) (param $scratch i32)
    (local $hd i32) (local $hdp i32) (local $Tp i32) (local $b i32) (local $h i32) (local $t i32) (local $t2 i32) (local $i i32)
    (local $qf i32) (local $kf i32) (local $vf i32) (local $kt i32) (local $vt i32) (local $dq i32) (local $dk i32) (local $dv i32) (local $datt i32) (local $dpre i32)
    (local $a i32) (local $o i32) (local $base i32) (local $rowB i32)
    (local $scale f64) (local $dot f64) (local $g v128) (local $acc v128)
    (local.set $hd (i32.div_u (local.get $C) (local.get $NH)))
    (local.set $hdp (i32.and (i32.add (local.get $hd) (i32.const 1)) (i32.const -2)))
    (local.set $Tp (i32.and (i32.add (local.get $T) (i32.const 1)) (i32.const -2)))
    (local.set $scale (f64.div (f64.const 1) (f64.sqrt (f64.convert_i32_u (local.get $hd)))))
    (local.set $rowB (i32.shl (i32.mul (local.get $T) (local.get $hdp)) (i32.const 3)))
    (local.set $qf (local.get $scratch))
    (local.set $kf (i32.add (local.get $qf) (local.get $rowB)))
    (local.set $vf (i32.add (local.get $kf) (local.get $rowB)))
    (local.set $kt (i32.add (local.get $vf) (local.get $rowB)))
    (local.set $vt (i32.add (local.get $kt) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3))))
    (local.set $dq (i32.add (local.get $vt) (i32.shl (i32.mul (local.get $hd) (local.get $Tp)) (i32.const 3))))
    (local.set $dk (i32.add (local.get $dq) (local.get $rowB)))
    (local.set $dv (i32.add (local.get $dk) (local.get $rowB)))
    (local.set $datt (i32.add (local.get $dv) (local.get $rowB)))
    (local.set $dpre (i32.add (local.get $datt) (i32.shl (local.get $Tp) (i32.const 3))))
    (local.set $b (i32.const 0))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $h (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $h) (local.get $NH)))
        (call $attn_gather (local.get $qkv) (local.get $b) (local.get $h) (local.get $T) (local.get $C) (local.get $hd) (local.get $hdp) (local.get $Tp)
          (local.get $qf) (local.get $kf) (local.get $vf) (local.get $kt) (local.get $vt))
        (memory.fill (local.get $dq) (i32.const 0) (i32.mul (local.get $rowB) (i32.const 3)))
        (local.set $t (i32.const 0))
        (block $dt (loop $lt
          (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
          (local.set $a (i32.add (local.get $att) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH)) (local.get $h)) (local.get $T)) (local.get $t)) (local.get $T)) (i32.const 3))))
          (local.set $o (i32.add (local.get $dout) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (local.get $C)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
          ;; datt[t2] = Σ_i dout·v, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $d1 (loop $l1
            (br_if $d1 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $i (i32.const 0))
            (block $d1i (loop $l1i
              (br_if $d1i (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul
                (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))))))
                (v128.load (i32.add (local.get $vt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Tp)) (local.get $t2)) (i32.const 3)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l1i)))
            (v128.store (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 3))) (local.get $acc))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 2)))
            (br $l1)))
          ;; dv[t2, i] += att[t2]·dout[i], lanes over i
          (local.set $t2 (i32.const 0))
          (block $d2 (loop $l2
            (br_if $d2 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $g (v128.load64_splat (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3)))))
            (local.set $i (i32.const 0))
            (block $d2i (loop $l2i
              (br_if $d2i (i32.ge_u (local.get $i) (local.get $hd)))
              (v128.store (i32.add (local.get $dv) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3))) (f64x2.add (v128.load (i32.add (local.get $dv) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3)))) (f64x2.mul (local.get $g) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))))))))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (br $l2i)))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $l2)))
          ;; dot = Σ att·datt over t2 ascending
          (local.set $dot (f64.const 0))
          (local.set $t2 (i32.const 0))
          (block $d3 (loop $l3
            (br_if $d3 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $dot (f64.add (local.get $dot) (f64.mul
              (f64.load (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))))
              (f64.load (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 3)))))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $l3)))
          ;; dpre[t2] = att·(datt − dot)·scale, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $d4 (loop $l4
            (br_if $d4 (i32.gt_u (local.get $t2) (local.get $t)))
            (v128.store (i32.add (local.get $dpre) (i32.shl (local.get $t2) (i32.const 3)))
              (f64x2.mul
                (f64x2.mul (v128.load (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))))
                  (f64x2.sub (v128.load (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 3)))) (f64x2.splat (local.get $dot))))
                (f64x2.splat (local.get $scale))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 2)))
            (br $l4)))
          ;; dq[t, i] += g·k[t2, i]; dk[t2, i] += g·q[t, i]; t2 ascending, lanes over i
          (local.set $t2 (i32.const 0))
          (block $d5 (loop $l5
            (br_if $d5 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $g (v128.load64_splat (i32.add (local.get $dpre) (i32.shl (local.get $t2) (i32.const 3)))))
            (local.set $i (i32.const 0))
            (block $d5i (loop $l5i
              (br_if $d5i (i32.ge_u (local.get $i) (local.get $hd)))
              (v128.store (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3))) (f64x2.add (v128.load (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3)))) (f64x2.mul (local.get $g) (v128.load (i32.add (local.get $kf) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3)))))))
              (v128.store (i32.add (local.get $dk) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3))) (f64x2.add (v128.load (i32.add (local.get $dk) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hdp)) (local.get $i)) (i32.const 3)))) (f64x2.mul (local.get $g) (v128.load (i32.add (local.get $qf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (br $l5i)))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $l5)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $lt)))
        ;; dqkv ← dq, dk, dv (f32, canonical NaN)
        (local.set $t (i32.const 0))
        (block $d6 (loop $l6
          (br_if $d6 (i32.ge_u (local.get $t) (local.get $T)))
          (local.set $base (i32.add (local.get $dqkv) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (i32.mul (local.get $C) (i32.const 3))) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $d6i (loop $l6i
            (br_if $d6i (i32.ge_u (local.get $i) (local.get $hd)))
            (call $store2 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))
              (v128.load (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3))))
              (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $hd)))
            (call $store2 (i32.add (local.get $base) (i32.shl (i32.add (local.get $C) (local.get $i)) (i32.const 2)))
              (v128.load (i32.add (local.get $dk) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3))))
              (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $hd)))
            (call $store2 (i32.add (local.get $base) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $i)) (i32.const 2)))
              (v128.load (i32.add (local.get $dv) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hdp)) (local.get $i)) (i32.const 3))))
              (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $hd)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $l6i)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $l6)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $lb))))

  ;; ---- residual add and layer norm ----

  ;; out = a + b, n elements: an f32 sum rounded once from f64 equals f32 addition (53 ≥ 2·24 + 2
  ;; bits), so four lanes of f32x4.add give the reference's bits; NaN canonical
  (func (export "add") (param $out i32) (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $v v128) (local $x f32)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (f32x4.add
        (v128.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
        (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $v) (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $done2 (loop $l2
      (br_if $done2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.add
        (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
        (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (select (f32.const nan) (local.get $x) (f32.ne (local.get $x) (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2))))

  ;; ---- cross-entropy forward (reference.ts crossEntropyForward), all but its logarithms ----
  ;; two rows per f64x2 (lanes over rows; an odd last row shares its pair with itself, one lane
  ;; kept): per row the max over v ascending, probs (f64, N × V) = e^(z − max) / Σ, the sum over
  ;; v ascending. stats (f64): max and sum per row, for the caller's log(sum) − (z_target − max).
  (func (export "ce_fwd") (param $probs i32) (param $logits i32) (param $N i32) (param $V i32) (param $stats i32)
    (local $n i32) (local $v i32) (local $r0 i32) (local $r1 i32) (local $p0 i32) (local $p1 i32) (local $two i32)
    (local $x v128) (local $max v128) (local $sum v128) (local $e v128) (local $inv v128)
    (local.set $n (i32.const 0))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $two (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N)))
      ;; logits rows (f32) and probs rows (f64) of the pair; row n+1 is row n when it is past N
      (local.set $r0 (i32.add (local.get $logits) (i32.shl (i32.mul (local.get $n) (local.get $V)) (i32.const 2))))
      (local.set $r1 (select (i32.add (local.get $r0) (i32.shl (local.get $V) (i32.const 2))) (local.get $r0) (local.get $two)))
      (local.set $p0 (i32.add (local.get $probs) (i32.shl (i32.mul (local.get $n) (local.get $V)) (i32.const 3))))
      (local.set $p1 (select (i32.add (local.get $p0) (i32.shl (local.get $V) (i32.const 3))) (local.get $p0) (local.get $two)))
      (local.set $max (v128.const f64x2 -inf -inf))
      (local.set $v (i32.const 0))
      (block $dm (loop $lm
        (br_if $dm (i32.ge_u (local.get $v) (local.get $V)))
        (local.set $x (f64x2.replace_lane 1
          (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $r0) (i32.shl (local.get $v) (i32.const 2))))))
          (f64.promote_f32 (f32.load (i32.add (local.get $r1) (i32.shl (local.get $v) (i32.const 2)))))))
        (local.set $max (v128.bitselect (local.get $x) (local.get $max) (f64x2.gt (local.get $x) (local.get $max))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $lm)))
      (local.set $sum (v128.const f64x2 0 0))
      (local.set $v (i32.const 0))
      (block $ds (loop $ls
        (br_if $ds (i32.ge_u (local.get $v) (local.get $V)))
        (local.set $x (f64x2.replace_lane 1
          (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $r0) (i32.shl (local.get $v) (i32.const 2))))))
          (f64.promote_f32 (f32.load (i32.add (local.get $r1) (i32.shl (local.get $v) (i32.const 2)))))))
        (local.set $e (call $exp2 (f64x2.sub (local.get $x) (local.get $max))))
        (f64.store (i32.add (local.get $p1) (i32.shl (local.get $v) (i32.const 3))) (f64x2.extract_lane 1 (local.get $e)))
        (f64.store (i32.add (local.get $p0) (i32.shl (local.get $v) (i32.const 3))) (f64x2.extract_lane 0 (local.get $e)))
        (local.set $sum (f64x2.add (local.get $sum) (local.get $e)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $ls)))
      (local.set $inv (f64x2.div (v128.const f64x2 1 1) (local.get $sum)))
      (local.set $v (i32.const 0))
      (block $dp (loop $lp
        (br_if $dp (i32.ge_u (local.get $v) (local.get $V)))
        (local.set $e (call $canonical64 (f64x2.mul
          (f64x2.replace_lane 1
            (f64x2.splat (f64.load (i32.add (local.get $p0) (i32.shl (local.get $v) (i32.const 3)))))
            (f64.load (i32.add (local.get $p1) (i32.shl (local.get $v) (i32.const 3)))))
          (local.get $inv))))
        (f64.store (i32.add (local.get $p1) (i32.shl (local.get $v) (i32.const 3))) (f64x2.extract_lane 1 (local.get $e)))
        (f64.store (i32.add (local.get $p0) (i32.shl (local.get $v) (i32.const 3))) (f64x2.extract_lane 0 (local.get $e)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $lp)))
      ;; stats of row n, and of row n+1 when it exists
      (f64.store (i32.add (local.get $stats) (i32.shl (local.get $n) (i32.const 4))) (f64x2.extract_lane 0 (local.get $max)))
      (f64.store offset=8 (i32.add (local.get $stats) (i32.shl (local.get $n) (i32.const 4))) (f64x2.extract_lane 0 (local.get $sum)))
      (if (local.get $two) (then
        (f64.store offset=16 (i32.add (local.get $stats) (i32.shl (local.get $n) (i32.const 4))) (f64x2.extract_lane 1 (local.get $max)))
        (f64.store offset=24 (i32.add (local.get $stats) (i32.shl (local.get $n) (i32.const 4))) (f64x2.extract_lane 1 (local.get $sum)))))
      (local.set $n (i32.add (local.get $n) (i32.const 2)))
      (br $rows))))

  ;; ---- the index of the first element of a (f32, n) that is ±Inf or NaN, or −1 ----
  ;; x − x is 0 for every finite x and NaN otherwise: four lanes tested at once, the lane found
  ;; by a scalar pass over its block
  (func (export "find_nonfinite") (param $a i32) (param $n i32) (result i32)
    (local $i i32) (local $v v128) (local $x f32)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
      (br_if $done (v128.any_true (f32x4.ne (f32x4.sub (local.get $v) (local.get $v)) (v128.const f32x4 0 0 0 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
      (if (f32.ne (f32.sub (local.get $x) (local.get $x)) (f32.const 0)) (then (return (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
    (i32.const -1))

  ;; ---- inverted dropout (reference.ts dropoutForward/Backward): out = f32(x·(keep ? s : 0)) ----
  ;; x·s in f64 (s = 1/(1−p), a double at $sp), rounded once to f32, NaN canonical; a dropped
  ;; element is x·0 (±0, or NaN from NaN and ±Inf, as PyTorch's x·mask·s); four elements per
  ;; step (two f64x2 products joined into one f32x4), keep bytes widened to lane masks on s
  (func (export "dropout") (param $out i32) (param $inp i32) (param $keep i32) (param $n i32) (param $sp i32)
    (local $i i32) (local $s v128) (local $k v128) (local $lo v128) (local $hi v128) (local $v v128) (local $x f32)
    (local.set $s (v128.load64_splat (local.get $sp)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $inp) (i32.shl (local.get $i) (i32.const 2)))))
      ;; kept lanes: keep byte ≠ 0, widened to 32 bits
      (local.set $k
        (i32x4.ne
          (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $keep) (local.get $i)))))
          (v128.const i32x4 0 0 0 0)))
      (local.set $lo (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v))
        (v128.and (local.get $s) (i64x2.extend_low_i32x4_s (local.get $k))))))
      (local.set $hi (f32x4.demote_f64x2_zero (f64x2.mul
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
        (v128.and (local.get $s) (i64x2.extend_high_i32x4_s (local.get $k))))))
      (local.set $v (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
      (local.set $v (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $v) (f32x4.ne (local.get $v) (local.get $v))))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.demote_f64 (f64.mul
        (f64.promote_f32 (f32.load (i32.add (local.get $inp) (i32.shl (local.get $i) (i32.const 2)))))
        (select (f64.load (local.get $sp)) (f64.const 0) (i32.load8_u (i32.add (local.get $keep) (local.get $i)))))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (select (f32.const nan) (local.get $x) (f32.ne (local.get $x) (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1))))

  (func $canon (param $x f64) (result f64)
    (select (f64.const nan) (local.get $x) (f64.ne (local.get $x) (local.get $x))))

  (func $st32 (param $dst i32) (param $x f64)
    (local $f f32)
    (local.set $f (f32.demote_f64 (local.get $x)))
    (f32.store (local.get $dst) (select (f32.const nan) (local.get $f) (f32.ne (local.get $f) (local.get $f)))))

  ;; out (N,C) = (x − mean)·rstd·w + b per row; mean, variance over c ascending; eps 1e-5
  ;; (reference.ts layernormForward), rows one after another
  (func (export "ln_fwd") (param $out i32) (param $mean i32) (param $rstd i32) (param $inp i32) (param $w i32) (param $b i32) (param $N i32) (param $C i32)
    (local $n i32) (local $c i32) (local $x i32) (local $m f64) (local $v f64) (local $d f64) (local $s f64) (local $Cf f64)
    (local.set $Cf (f64.convert_i32_u (local.get $C)))
    (local.set $n (i32.const 0))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $x (i32.add (local.get $inp) (i32.shl (i32.mul (local.get $n) (local.get $C)) (i32.const 2))))
      (local.set $m (f64.const 0))
      (local.set $c (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $m (f64.add (local.get $m) (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l1)))
      (local.set $m (f64.div (local.get $m) (local.get $Cf)))
      (local.set $v (f64.const 0))
      (local.set $c (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $d (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))) (local.get $m)))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $d) (local.get $d))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l2)))
      (local.set $v (f64.div (local.get $v) (local.get $Cf)))
      (local.set $s (f64.div (f64.const 1) (f64.sqrt (f64.add (local.get $v) (f64.const ${1e-5})))))
      (local.set $c (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $c) (local.get $C)))
        (call $st32 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 2)))
          (f64.add
            (f64.mul (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))) (local.get $m)) (local.get $s))
              (f64.promote_f32 (f32.load (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2))))))
            (f64.promote_f32 (f32.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l3)))
      (f64.store (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3))) (call $canon (local.get $m)))
      (f64.store (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3))) (call $canon (local.get $s)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; layer norm backward, rows: dinp = rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm)),
  ;; dnorm = dout·w, norm = (x − mean)·rstd, the means over c ascending (reference.ts)
  (func (export "ln_bwd_dinp") (param $dinp i32) (param $dout i32) (param $inp i32) (param $w i32) (param $mean i32) (param $rstd i32) (param $N i32) (param $C i32)
    (local $n i32) (local $c i32) (local $row i32) (local $m f64) (local $s f64) (local $norm f64) (local $dnorm f64)
    (local $dm f64) (local $dnm f64) (local $Cf f64)
    (local.set $Cf (f64.convert_i32_u (local.get $C)))
    (local.set $n (i32.const 0))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $row (i32.shl (i32.mul (local.get $n) (local.get $C)) (i32.const 2)))
      (local.set $m (f64.load (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3)))))
      (local.set $s (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3)))))
      (local.set $dm (f64.const 0))
      (local.set $dnm (f64.const 0))
      (local.set $c (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $norm (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $inp) (local.get $row)) (i32.shl (local.get $c) (i32.const 2))))) (local.get $m)) (local.get $s)))
        (local.set $dnorm (f64.mul (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $dout) (local.get $row)) (i32.shl (local.get $c) (i32.const 2)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2)))))))
        (local.set $dm (f64.add (local.get $dm) (local.get $dnorm)))
        (local.set $dnm (f64.add (local.get $dnm) (f64.mul (local.get $dnorm) (local.get $norm))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l1)))
      (local.set $dm (f64.div (local.get $dm) (local.get $Cf)))
      (local.set $dnm (f64.div (local.get $dnm) (local.get $Cf)))
      (local.set $c (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $norm (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $inp) (local.get $row)) (i32.shl (local.get $c) (i32.const 2))))) (local.get $m)) (local.get $s)))
        (local.set $dnorm (f64.mul (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $dout) (local.get $row)) (i32.shl (local.get $c) (i32.const 2)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2)))))))
        (call $st32 (i32.add (i32.add (local.get $dinp) (local.get $row)) (i32.shl (local.get $c) (i32.const 2)))
          (f64.mul (f64.sub (f64.sub (local.get $dnorm) (local.get $dm)) (f64.mul (local.get $norm) (local.get $dnm))) (local.get $s)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l2)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; layer norm backward, columns c0…c0+cnt−1 of (C): dweight = Σ_n dout·norm, dbias = Σ_n dout,
  ;; n ascending; a thread takes a range of columns, never a part of one sum
  (func (export "ln_bwd_dw") (param $dw i32) (param $db i32) (param $dout i32) (param $inp i32) (param $mean i32) (param $rstd i32) (param $N i32) (param $C i32) (param $c0 i32) (param $cnt i32)
    (local $n i32) (local $c i32) (local $p i32) (local $aw f64) (local $ab f64) (local $g f64)
    (local.set $c (local.get $c0))
    (block $dc (loop $lc
      (br_if $dc (i32.ge_u (local.get $c) (i32.add (local.get $c0) (local.get $cnt))))
      (local.set $aw (f64.const 0))
      (local.set $ab (f64.const 0))
      (local.set $n (i32.const 0))
      (block $dn (loop $ln
        (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $p (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 2)))
        (local.set $g (f64.promote_f32 (f32.load (i32.add (local.get $dout) (local.get $p)))))
        (local.set $aw (f64.add (local.get $aw) (f64.mul (local.get $g)
          (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $inp) (local.get $p)))) (f64.load (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3)))))
            (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3))))))))
        (local.set $ab (f64.add (local.get $ab) (local.get $g)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $ln)))
      (call $st32 (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2))) (local.get $aw))
      (call $st32 (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))) (local.get $ab))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $lc))))

  ;; ---- matmul tasks: each thread converts what its part reads, in its own scratch ----
  ;; (the weight is converted by every thread that needs it: a few percent of its part's work,
  ;; and no thread waits for another's conversion or reads data hot in another core's cache)

  ;; rows n0… of out from the same rows of x (f32); scratch: ceil4(N)·C + ceil4(OC)·C doubles
  (func (export "matmul_fwd_task") (param $out i32) (param $x i32) (param $w i32) (param $bias i32) (param $N i32) (param $C i32) (param $OC i32) (param $scratch i32)
    (local $N4 i32) (local $wp i32)
    (local.set $N4 (i32.and (i32.add (local.get $N) (i32.const 3)) (i32.const -4)))
    (local.set $wp (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $N4) (local.get $C)) (i32.const 3))))
    (call $to_f64_rows (local.get $scratch) (local.get $x) (i32.mul (local.get $N) (local.get $C)) (i32.mul (local.get $N4) (local.get $C)))
    (call $pack_w4 (local.get $wp) (local.get $w) (local.get $OC) (local.get $C))
    (call $matmul_fwd (local.get $out) (local.get $scratch) (local.get $wp) (local.get $bias) (local.get $N) (local.get $C) (local.get $OC)))

  ;; rows of dinp from the same rows of g (f32, OC wide); scratch: (ceil4(N)+1)·OC + OC·C4 doubles
  (func (export "matmul_bwd_dinp_task") (param $dinp i32) (param $g i32) (param $w i32) (param $N i32) (param $C i32) (param $OC i32) (param $scratch i32)
    (local $rows i32) (local $C4 i32) (local $w64 i32)
    (local.set $rows (i32.add (i32.and (i32.add (local.get $N) (i32.const 3)) (i32.const -4)) (i32.const 1)))
    (local.set $C4 (i32.and (i32.add (local.get $C) (i32.const 3)) (i32.const -4)))
    (local.set $w64 (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $rows) (local.get $OC)) (i32.const 3))))
    (call $to_f64_rows (local.get $scratch) (local.get $g) (i32.mul (local.get $N) (local.get $OC)) (i32.mul (local.get $rows) (local.get $OC)))
    (call $to_f64_cols (local.get $w64) (local.get $w) (local.get $OC) (local.get $C) (local.get $C4))
    (call $matmul_bwd_dinp (local.get $dinp) (local.get $scratch) (local.get $w64) (local.get $N) (local.get $C) (local.get $OC) (local.get $C4)))

  ;; rows o0…o0+cnt−1 of dweight and dbias from all of g (f32, N × OC) and x (f32, N × C);
  ;; scratch: (ceil4(N)+1)·(OC + C) doubles
  (func (export "matmul_bwd_dw_task") (param $dw i32) (param $db i32) (param $g i32) (param $x i32) (param $N i32) (param $C i32) (param $OC i32) (param $o0 i32) (param $cnt i32) (param $scratch i32)
    (local $rows i32) (local $x64 i32)
    (local.set $rows (i32.add (i32.and (i32.add (local.get $N) (i32.const 3)) (i32.const -4)) (i32.const 1)))
    (local.set $x64 (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $rows) (local.get $OC)) (i32.const 3))))
    (call $to_f64_rows (local.get $scratch) (local.get $g) (i32.mul (local.get $N) (local.get $OC)) (i32.mul (local.get $rows) (local.get $OC)))
    (call $to_f64_rows (local.get $x64) (local.get $x) (i32.mul (local.get $N) (local.get $C)) (i32.mul (local.get $rows) (local.get $C)))
    (call $matmul_bwd_dw
      (i32.add (local.get $dw) (i32.shl (i32.mul (local.get $o0) (local.get $C)) (i32.const 2)))
      (i32.add (local.get $scratch) (i32.shl (local.get $o0) (i32.const 3)))
      (local.get $x64) (local.get $N) (local.get $C) (local.get $cnt) (local.get $OC))
    (call $matmul_bwd_dbias
      (i32.add (local.get $db) (i32.shl (local.get $o0) (i32.const 2)))
      (i32.add (local.get $scratch) (i32.shl (local.get $o0) (i32.const 3)))
      (local.get $N) (local.get $cnt) (local.get $OC)))

  ;; ---- for scripts/bench.ts: the peak of f64x2 multiply-adds held in registers ----
  ;; 8 independent accumulators, 16 flops per accumulator and iteration pair; returns a lane so
  ;; the work is not optimized away
  (func (export "peak_madd") (param $iters i32) (result f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $x v128) (local $y v128)
    (local.set $x (v128.const f64x2 0.999999 0.999998))
    (local.set $y (v128.const f64x2 0.000001 0.000002))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $iters)))
      (local.set $a0 (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (local.get $y)))
      (local.set $a1 (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (local.get $y)))
      (local.set $a2 (f64x2.add (f64x2.mul (local.get $a2) (local.get $x)) (local.get $y)))
      (local.set $a3 (f64x2.add (f64x2.mul (local.get $a3) (local.get $x)) (local.get $y)))
      (local.set $a4 (f64x2.add (f64x2.mul (local.get $a4) (local.get $x)) (local.get $y)))
      (local.set $a5 (f64x2.add (f64x2.mul (local.get $a5) (local.get $x)) (local.get $y)))
      (local.set $a6 (f64x2.add (f64x2.mul (local.get $a6) (local.get $x)) (local.get $y)))
      (local.set $a7 (f64x2.add (f64x2.mul (local.get $a7) (local.get $x)) (local.get $y)))
      (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
      (br $l)))
    (f64x2.extract_lane 0 (f64x2.add (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3)))
      (f64x2.add (f64x2.add (local.get $a4) (local.get $a5)) (f64x2.add (local.get $a6) (local.get $a7))))))

  ;; ---- Adam / AdamW (reference.ts adamUpdate), two elements per f64x2, in place ----
  ;; $k: 10 doubles — β1, β2, 1−β1, 1−β2, eps, stepSize, bc2Sqrt, l2, decay, decoupled (0 | 1)
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $k i32)
    (local $i i32) (local $one i32) (local $off i32)
    (local $b1 v128) (local $b2 v128) (local $c1 v128) (local $c2 v128) (local $eps v128) (local $step v128)
    (local $bc2 v128) (local $l2 v128) (local $decay v128) (local $decoupled i32)
    (local $x v128) (local $d v128) (local $mi v128) (local $vi v128) (local $r v128)
    (local.set $b1 (v128.load64_splat (local.get $k)))
    (local.set $b2 (v128.load64_splat offset=8 (local.get $k)))
    (local.set $c1 (v128.load64_splat offset=16 (local.get $k)))
    (local.set $c2 (v128.load64_splat offset=24 (local.get $k)))
    (local.set $eps (v128.load64_splat offset=32 (local.get $k)))
    (local.set $step (v128.load64_splat offset=40 (local.get $k)))
    (local.set $bc2 (v128.load64_splat offset=48 (local.get $k)))
    (local.set $l2 (v128.load64_splat offset=56 (local.get $k)))
    (local.set $decay (v128.load64_splat offset=64 (local.get $k)))
    (local.set $decoupled (f64.ne (f64.load offset=72 (local.get $k)) (f64.const 0)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ;; the last element of an odd count alone: loads of one f32, a store of one
      (local.set $one (i32.eq (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $x (f64x2.promote_low_f32x4 (if (result v128) (local.get $one)
        (then (v128.load32_zero (i32.add (local.get $p) (local.get $off))))
        (else (v128.load64_zero (i32.add (local.get $p) (local.get $off)))))))
      (if (local.get $decoupled) (then (local.set $x (f64x2.mul (local.get $x) (local.get $decay)))))
      (local.set $d (f64x2.add
        (f64x2.promote_low_f32x4 (if (result v128) (local.get $one)
          (then (v128.load32_zero (i32.add (local.get $g) (local.get $off))))
          (else (v128.load64_zero (i32.add (local.get $g) (local.get $off))))))
        (f64x2.mul (local.get $l2) (local.get $x))))
      (local.set $mi (f64x2.add
        (f64x2.mul (local.get $b1) (f64x2.promote_low_f32x4 (if (result v128) (local.get $one)
          (then (v128.load32_zero (i32.add (local.get $m) (local.get $off))))
          (else (v128.load64_zero (i32.add (local.get $m) (local.get $off)))))))
        (f64x2.mul (local.get $c1) (local.get $d))))
      (local.set $vi (f64x2.add
        (f64x2.mul (local.get $b2) (f64x2.promote_low_f32x4 (if (result v128) (local.get $one)
          (then (v128.load32_zero (i32.add (local.get $v) (local.get $off))))
          (else (v128.load64_zero (i32.add (local.get $v) (local.get $off)))))))
        (f64x2.mul (f64x2.mul (local.get $c2) (local.get $d)) (local.get $d))))
      (local.set $r (f64x2.sub (local.get $x) (f64x2.mul (local.get $step)
        (f64x2.div (local.get $mi) (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vi)) (local.get $bc2)) (local.get $eps))))))
      ;; $store2 written out: a call would spill the nine v128 constants (the caller saves every
      ;; v128 register), which cost this loop more than its divisions (609,216 elements on one
      ;; thread: 4.9 ms with the calls, 2.2 ms without)
      (local.set $mi (f32x4.demote_f64x2_zero (local.get $mi)))
      (local.set $mi (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $mi) (f32x4.ne (local.get $mi) (local.get $mi))))
      (local.set $vi (f32x4.demote_f64x2_zero (local.get $vi)))
      (local.set $vi (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $vi) (f32x4.ne (local.get $vi) (local.get $vi))))
      (local.set $r (f32x4.demote_f64x2_zero (local.get $r)))
      (local.set $r (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $r) (f32x4.ne (local.get $r) (local.get $r))))
      (if (local.get $one)
        (then
          (v128.store32_lane 0 (i32.add (local.get $m) (local.get $off)) (local.get $mi))
          (v128.store32_lane 0 (i32.add (local.get $v) (local.get $off)) (local.get $vi))
          (v128.store32_lane 0 (i32.add (local.get $p) (local.get $off)) (local.get $r)))
        (else
          (v128.store64_lane 0 (i32.add (local.get $m) (local.get $off)) (local.get $mi))
          (v128.store64_lane 0 (i32.add (local.get $v) (local.get $off)) (local.get $vi))
          (v128.store64_lane 0 (i32.add (local.get $p) (local.get $off)) (local.get $r))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l))))
)
