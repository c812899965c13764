;; weft's fast kernels of the f32acc numeric mode: WebAssembly SIMD128 (never relaxed-SIMD, so
;; never a fused multiply-add), float32 storage and float32 arithmetic. Each output keeps the
;; reference kernel's one sequential accumulation in the reference's order
;; (src/kernels/reference-f32.ts): four f32x4 lanes run across independent outputs, never across
;; one sum, and every operation is the float32 operation the reference rounds with Math.fround,
;; so every stored value has the reference's bits.
;;
;; Blocks read up to 7 floats past a row or a tensor (the allocator leaves slack after each): the
;; lanes that come from there are computed and never stored. Every NaN is stored as the
;; canonical quiet NaN. Constants written as $f32 or $f32x4 and braces around an expression are
;; evaluated by scripts/build-wasm.ts and rounded to float32 as the TypeScript rounds them.
;; Built into kernels-f32.wasm (committed; a
;; test rebuilds it).
(module
  (import "env" "memory" (memory 1 16384 shared))

  ;; ---- helpers ----

  (func $canon (param $v v128) (result v128)
    (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $v) (f32x4.ne (local.get $v) (local.get $v))))

  ;; the first $cnt lanes of v (all four when $cnt ≥ 4) at dst, NaN canonical
  (func $st (param $dst i32) (param $v v128) (param $cnt i32)
    (local.set $v (call $canon (local.get $v)))
    (if (i32.ge_s (local.get $cnt) (i32.const 4)) (then
      (v128.store (local.get $dst) (local.get $v))
      (return)))
    (if (i32.le_s (local.get $cnt) (i32.const 0)) (then (return)))
    (v128.store32_lane 0 (local.get $dst) (local.get $v))
    (if (i32.ge_s (local.get $cnt) (i32.const 2)) (then
      (v128.store32_lane 1 (i32.add (local.get $dst) (i32.const 4)) (local.get $v))))
    (if (i32.ge_s (local.get $cnt) (i32.const 3)) (then
      (v128.store32_lane 2 (i32.add (local.get $dst) (i32.const 8)) (local.get $v)))))

  ;; eight lanes (lo, hi) at dst: the first $cnt of them
  (func $st8 (param $dst i32) (param $lo v128) (param $hi v128) (param $cnt i32)
    (call $st (local.get $dst) (local.get $lo) (local.get $cnt))
    (if (i32.gt_s (local.get $cnt) (i32.const 4)) (then
      (call $st (i32.add (local.get $dst) (i32.const 16)) (local.get $hi) (i32.sub (local.get $cnt) (i32.const 4))))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  ;; a float32 as float64, NaN canonical (the Float64Array slots of the interface)
  (func $st64 (param $dst i32) (param $x f32)
    (local $d f64)
    (local.set $d (f64.promote_f32 (local.get $x)))
    (f64.store (local.get $dst) (select (f64.const nan) (local.get $d) (f64.ne (local.get $d) (local.get $d)))))

  ;; ---- exp and tanh (src/math/elementary-f32.ts expF32, tanhF32), four lanes ----

  ;; e^x: k = floor(x·log2e + 0.5), r = (x − k·LN2_HI) − k·LN2_LO, e^r = ((P(r)·r·r) + r) + 1,
  ;; · 2^(k>>1) · 2^(k − (k>>1)); NaN passes, above 88.8 +Inf, below −104 zero
  (func $exp4 (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $z v128) (local $p v128) (local $ki v128) (local $k1 v128)
    (local.set $k (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) ($f32x4{1.4426950408889634})) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) ($f32x4{0.693359375})))
      (f32x4.mul (local.get $k) ($f32x4{-2.12194440e-4}))))
    (local.set $z (f32x4.mul (local.get $r) (local.get $r)))
    (local.set $p ($f32x4{1.9875691500e-4}))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ($f32x4{1.3981999507e-3})))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ($f32x4{8.3334519073e-3})))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ($f32x4{4.1665795894e-2})))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ($f32x4{1.6666665459e-1})))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ($f32x4{5.0000001201e-1})))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $ki (i32x4.trunc_sat_f32x4_s (local.get $k)))
    (local.set $k1 (i32x4.shr_s (local.get $ki) (i32.const 1)))
    (local.set $p (f32x4.mul
      (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $k1) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $ki) (local.get $k1)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $p (v128.bitselect (v128.const f32x4 0 0 0 0) (local.get $p) (f32x4.lt (local.get $x) (v128.const f32x4 -104 -104 -104 -104))))
    (local.set $p (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $p) (f32x4.gt (local.get $x) ($f32x4{88.8}))))
    (v128.bitselect (local.get $x) (local.get $p) (f32x4.ne (local.get $x) (local.get $x))))

  ;; tanh x: below 0.625 the odd polynomial ((Q(x·x)·x·x)·x) + x, else 1 − 2/(e^2|x| + 1) with x's
  ;; sign; ±1 above 10; ±0 and NaN pass. Each lane takes its own branch; a branch no lane takes
  ;; is skipped (its lanes would be discarded).
  (func $tanh4 (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $q v128) (local $t v128) (local $small v128) (local $neg v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $small (f32x4.lt (local.get $a) ($f32x4{0.625})))
    (local.set $neg (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)))
    (if (v128.any_true (v128.not (local.get $small))) (then
      (local.set $t (f32x4.sub (v128.const f32x4 1 1 1 1)
        (f32x4.div (v128.const f32x4 2 2 2 2)
          (f32x4.add (call $exp4 (f32x4.add (local.get $a) (local.get $a))) (v128.const f32x4 1 1 1 1)))))
      (local.set $t (v128.bitselect (f32x4.neg (local.get $t)) (local.get $t) (local.get $neg)))))
    (if (v128.any_true (local.get $small)) (then
      (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
      (local.set $q ($f32x4{-5.70498872745e-3}))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $z)) ($f32x4{2.06390887954e-2})))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $z)) ($f32x4{-5.37397155531e-2})))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $z)) ($f32x4{1.33314422036e-1})))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $z)) ($f32x4{-3.33332819422e-1})))
      (local.set $t (v128.bitselect
        (f32x4.add (f32x4.mul (f32x4.mul (local.get $q) (local.get $z)) (local.get $x)) (local.get $x))
        (local.get $t) (local.get $small)))))
    (local.set $t (v128.bitselect
      (v128.bitselect (v128.const f32x4 -1 -1 -1 -1) (v128.const f32x4 1 1 1 1) (local.get $neg))
      (local.get $t)
      (f32x4.gt (local.get $a) (v128.const f32x4 10 10 10 10))))
    (local.set $t (v128.bitselect (local.get $x) (local.get $t) (f32x4.eq (local.get $x) (v128.const f32x4 0 0 0 0))))
    (v128.bitselect (local.get $x) (local.get $t) (f32x4.ne (local.get $x) (local.get $x))))

  ;; ---- matmuls (reference-f32.ts matmulForward, matmulBackward) ----

  ;; dst: columns o0…o0+cnt−1 of the weight (f32, OC × C) in blocks of 8 outputs, each block C
  ;; rows of 8 lanes w[o][c] (zero past o0+cnt): the lanes of mm_fwd
  (func $pack_w8 (param $dst i32) (param $w i32) (param $C i32) (param $o0 i32) (param $cnt i32)
    (local $j i32) (local $c i32) (local $d i32) (local $s i32) (local $cnt8 i32)
    (local.set $cnt8 (i32.and (i32.add (local.get $cnt) (i32.const 7)) (i32.const -8)))
    (local.set $j (i32.const 0))
    (block $done_j (loop $lj
      (br_if $done_j (i32.ge_u (local.get $j) (local.get $cnt8)))
      ;; output o0 + j: block j/8, lane j%8: byte (j/8)·C·32 + c·32 + (j%8)·4
      (local.set $d (i32.add (local.get $dst) (i32.add
        (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (i32.shl (local.get $C) (i32.const 5)))
        (i32.shl (i32.and (local.get $j) (i32.const 7)) (i32.const 2)))))
      (local.set $s (i32.add (local.get $w) (i32.shl (i32.mul (i32.add (local.get $o0) (local.get $j)) (local.get $C)) (i32.const 2))))
      (local.set $c (i32.const 0))
      (if (i32.lt_u (local.get $j) (local.get $cnt))
        (then
          (block $done_c (loop $lc
            (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
            (f32.store (local.get $d) (f32.load (local.get $s)))
            (local.set $d (i32.add (local.get $d) (i32.const 32)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $lc))))
        (else
          (block $done_z (loop $lz
            (br_if $done_z (i32.ge_u (local.get $c) (local.get $C)))
            (f32.store (local.get $d) (f32.const 0))
            (local.set $d (i32.add (local.get $d) (i32.const 32)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $lz)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $lj))))

  ;; out (N, OC) columns o0…o0+cnt−1 = x (N, C) · wᵀ + bias: per output, acc + x·w over c
  ;; ascending, then + bias. Blocks of 4 rows × 8 outputs, 8 accumulators; rows past N repeat
  ;; row N−1 (computed, not stored). wp: scratch of ceil8(cnt)·C floats for the packed weight.
  (func (export "mm_fwd") (param $out i32) (param $x i32) (param $w i32) (param $bias i32) (param $N i32) (param $C i32) (param $OC i32) (param $o0 i32) (param $cnt i32) (param $wp i32)
    (local $q i32) (local $ob i32) (local $left i32) (local $wq i32) (local $n i32) (local $c i32) (local $rowB i32) (local $last i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $wc i32)
    (local $bias0 v128) (local $bias1 v128)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (if (i32.eqz (local.get $N)) (then (return)))
    (call $pack_w8 (local.get $wp) (local.get $w) (local.get $C) (local.get $o0) (local.get $cnt))
    (local.set $rowB (i32.shl (local.get $C) (i32.const 2)))
    (local.set $last (i32.sub (local.get $N) (i32.const 1)))
    (local.set $q (i32.const 0))
    (block $done_q (loop $lq
      (br_if $done_q (i32.ge_u (local.get $q) (local.get $cnt)))
      (local.set $ob (i32.add (local.get $o0) (local.get $q)))
      (local.set $left (call $min (i32.sub (local.get $cnt) (local.get $q)) (i32.const 8)))
      (local.set $wq (i32.add (local.get $wp) (i32.mul (i32.shr_u (local.get $q) (i32.const 3)) (i32.shl (local.get $C) (i32.const 5)))))
      (local.set $bias0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2)))))
      (local.set $bias1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2)))))
      (local.set $n (i32.const 0))
      (block $done_n (loop $ln
        (br_if $done_n (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0)) (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0)) (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $rowB))))
        (local.set $x1 (i32.add (local.get $x) (i32.mul (call $min (i32.add (local.get $n) (i32.const 1)) (local.get $last)) (local.get $rowB))))
        (local.set $x2 (i32.add (local.get $x) (i32.mul (call $min (i32.add (local.get $n) (i32.const 2)) (local.get $last)) (local.get $rowB))))
        (local.set $x3 (i32.add (local.get $x) (i32.mul (call $min (i32.add (local.get $n) (i32.const 3)) (local.get $last)) (local.get $rowB))))
        (local.set $wc (local.get $wq))
        (local.set $c (local.get $C))
        (block $done_c (loop $lc
          (br_if $done_c (i32.eqz (local.get $c)))
          (local.set $w0 (v128.load (local.get $wc)))
          (local.set $w1 (v128.load offset=16 (local.get $wc)))
          (local.set $v (v128.load32_splat (local.get $x0)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $x1)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $x2)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $x3)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $x0 (i32.add (local.get $x0) (i32.const 4)))
          (local.set $x1 (i32.add (local.get $x1) (i32.const 4)))
          (local.set $x2 (i32.add (local.get $x2) (i32.const 4)))
          (local.set $x3 (i32.add (local.get $x3) (i32.const 4)))
          (local.set $wc (i32.add (local.get $wc) (i32.const 32)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br $lc)))
        (call $st8 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $OC)) (local.get $ob)) (i32.const 2)))
          (f32x4.add (local.get $a0) (local.get $bias0)) (f32x4.add (local.get $b0) (local.get $bias1)) (local.get $left))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 1)) (local.get $OC)) (local.get $ob)) (i32.const 2)))
            (f32x4.add (local.get $a1) (local.get $bias0)) (f32x4.add (local.get $b1) (local.get $bias1)) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 2)) (local.get $OC)) (local.get $ob)) (i32.const 2)))
            (f32x4.add (local.get $a2) (local.get $bias0)) (f32x4.add (local.get $b2) (local.get $bias1)) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 3)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 3)) (local.get $OC)) (local.get $ob)) (i32.const 2)))
            (f32x4.add (local.get $a3) (local.get $bias0)) (f32x4.add (local.get $b3) (local.get $bias1)) (local.get $left))))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br $ln)))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br $lq))))

  ;; dinp (N, C) = g (N, OC) · w (OC, C): per output, acc + g·w over o ascending. Lanes over c,
  ;; straight from w's rows; blocks of 4 rows × 8 columns; rows past N repeat row N−1.
  (func (export "mm_bwd_dinp") (param $dinp i32) (param $g i32) (param $w i32) (param $N i32) (param $C i32) (param $OC i32)
    (local $n i32) (local $c i32) (local $o i32) (local $left i32) (local $last i32) (local $gRowB i32) (local $wRowB i32)
    (local $g0 i32) (local $g1 i32) (local $g2 i32) (local $g3 i32) (local $wc i32)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (if (i32.eqz (local.get $N)) (then (return)))
    (local.set $gRowB (i32.shl (local.get $OC) (i32.const 2)))
    (local.set $wRowB (i32.shl (local.get $C) (i32.const 2)))
    (local.set $last (i32.sub (local.get $N) (i32.const 1)))
    (local.set $n (i32.const 0))
    (block $done_n (loop $ln
      (br_if $done_n (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $lc
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $left (call $min (i32.sub (local.get $C) (local.get $c)) (i32.const 8)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0)) (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0)) (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $g0 (i32.add (local.get $g) (i32.mul (local.get $n) (local.get $gRowB))))
        (local.set $g1 (i32.add (local.get $g) (i32.mul (call $min (i32.add (local.get $n) (i32.const 1)) (local.get $last)) (local.get $gRowB))))
        (local.set $g2 (i32.add (local.get $g) (i32.mul (call $min (i32.add (local.get $n) (i32.const 2)) (local.get $last)) (local.get $gRowB))))
        (local.set $g3 (i32.add (local.get $g) (i32.mul (call $min (i32.add (local.get $n) (i32.const 3)) (local.get $last)) (local.get $gRowB))))
        (local.set $wc (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $o (local.get $OC))
        (block $done_o (loop $lo
          (br_if $done_o (i32.eqz (local.get $o)))
          (local.set $w0 (v128.load (local.get $wc)))
          (local.set $w1 (v128.load offset=16 (local.get $wc)))
          (local.set $v (v128.load32_splat (local.get $g0)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $g1)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $g2)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $v (v128.load32_splat (local.get $g3)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (local.get $w0))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $v) (local.get $w1))))
          (local.set $g0 (i32.add (local.get $g0) (i32.const 4)))
          (local.set $g1 (i32.add (local.get $g1) (i32.const 4)))
          (local.set $g2 (i32.add (local.get $g2) (i32.const 4)))
          (local.set $g3 (i32.add (local.get $g3) (i32.const 4)))
          (local.set $wc (i32.add (local.get $wc) (local.get $wRowB)))
          (local.set $o (i32.sub (local.get $o) (i32.const 1)))
          (br $lo)))
        (call $st8 (i32.add (local.get $dinp) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 2)))
          (local.get $a0) (local.get $b0) (local.get $left))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $dinp) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 1)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a1) (local.get $b1) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $dinp) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 2)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a2) (local.get $b2) (local.get $left))))
        (if (i32.lt_u (i32.add (local.get $n) (i32.const 3)) (local.get $N)) (then
          (call $st8 (i32.add (local.get $dinp) (i32.shl (i32.add (i32.mul (i32.add (local.get $n) (i32.const 3)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a3) (local.get $b3) (local.get $left))))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $lc)))
      (local.set $n (i32.add (local.get $n) (i32.const 4)))
      (br $ln))))

  ;; rows o0…o0+cnt−1 of dweight (OC, C) = Σ_n g[n,o]·x[n,c] and of dbias = Σ_n g[n,o], n
  ;; ascending. Lanes over c (dweight) or o (dbias), straight from the rows of x and g; dweight
  ;; in blocks of 4 outputs × 8 columns.
  (func (export "mm_bwd_dw") (param $dw i32) (param $db i32) (param $g i32) (param $x i32) (param $N i32) (param $C i32) (param $OC i32) (param $o0 i32) (param $cnt i32)
    (local $o i32) (local $end i32) (local $c i32) (local $n i32) (local $left i32) (local $rows i32) (local $gRowB i32) (local $xRowB i32)
    (local $gp i32) (local $xp i32)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $x0 v128) (local $x1 v128) (local $v v128)
    (local.set $gRowB (i32.shl (local.get $OC) (i32.const 2)))
    (local.set $xRowB (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $o0) (local.get $cnt)))
    (local.set $o (local.get $o0))
    (block $done_o (loop $lo
      (br_if $done_o (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $rows (call $min (i32.sub (local.get $end) (local.get $o)) (i32.const 4)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $lc
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $left (call $min (i32.sub (local.get $C) (local.get $c)) (i32.const 8)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0)) (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0)) (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $gp (i32.add (local.get $g) (i32.shl (local.get $o) (i32.const 2))))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $n (local.get $N))
        (block $done_n (loop $ln
          (br_if $done_n (i32.eqz (local.get $n)))
          (local.set $x0 (v128.load (local.get $xp)))
          (local.set $x1 (v128.load offset=16 (local.get $xp)))
          (local.set $v (v128.load32_splat (local.get $gp)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (local.get $x0))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load32_splat offset=4 (local.get $gp)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (local.get $x0))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load32_splat offset=8 (local.get $gp)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (local.get $x0))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $v) (local.get $x1))))
          (local.set $v (v128.load32_splat offset=12 (local.get $gp)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (local.get $x0))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $v) (local.get $x1))))
          (local.set $gp (i32.add (local.get $gp) (local.get $gRowB)))
          (local.set $xp (i32.add (local.get $xp) (local.get $xRowB)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $ln)))
        (call $st8 (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $C)) (local.get $c)) (i32.const 2)))
          (local.get $a0) (local.get $b0) (local.get $left))
        (if (i32.gt_s (local.get $rows) (i32.const 1)) (then
          (call $st8 (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (local.get $o) (i32.const 1)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a1) (local.get $b1) (local.get $left))))
        (if (i32.gt_s (local.get $rows) (i32.const 2)) (then
          (call $st8 (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (local.get $o) (i32.const 2)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a2) (local.get $b2) (local.get $left))))
        (if (i32.gt_s (local.get $rows) (i32.const 3)) (then
          (call $st8 (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (local.get $o) (i32.const 3)) (local.get $C)) (local.get $c)) (i32.const 2)))
            (local.get $a3) (local.get $b3) (local.get $left))))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $lc)))
      ;; dbias of these 4 outputs: lanes over o
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $gp (i32.add (local.get $g) (i32.shl (local.get $o) (i32.const 2))))
      (local.set $n (local.get $N))
      (block $done_b (loop $lb
        (br_if $done_b (i32.eqz (local.get $n)))
        (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $gp))))
        (local.set $gp (i32.add (local.get $gp) (local.get $gRowB)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $lb)))
      (call $st (i32.add (local.get $db) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0) (local.get $rows))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $lo))))

  ;; ---- layer norm (reference-f32.ts layernormForward, layernormBackward) ----

  ;; rows one after another: mean and variance summed over c ascending (scalar: one sum per
  ;; row), then out = ((x − mean)·rstd)·w + b four columns at a time
  (func (export "ln_fwd") (param $out i32) (param $mean i32) (param $rstd i32) (param $inp i32) (param $w i32) (param $b i32) (param $N i32) (param $C i32)
    (local $n i32) (local $c i32) (local $x i32) (local $o i32) (local $m f32) (local $v f32) (local $d f32) (local $s f32) (local $Cf f32)
    (local $mv v128) (local $sv v128)
    (local.set $Cf (f32.convert_i32_u (local.get $C)))
    (local.set $n (i32.const 0))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $x (i32.add (local.get $inp) (i32.shl (i32.mul (local.get $n) (local.get $C)) (i32.const 2))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $n) (local.get $C)) (i32.const 2))))
      (local.set $m (f32.const 0))
      (local.set $c (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $m (f32.add (local.get $m) (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l1)))
      (local.set $m (f32.div (local.get $m) (local.get $Cf)))
      (local.set $v (f32.const 0))
      (local.set $c (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $d (f32.sub (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $m)))
        (local.set $v (f32.add (local.get $v) (f32.mul (local.get $d) (local.get $d))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l2)))
      (local.set $v (f32.div (local.get $v) (local.get $Cf)))
      (local.set $s (f32.div (f32.const 1) (f32.sqrt (f32.add (local.get $v) (f32.const $f32{1e-5})))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $sv (f32x4.splat (local.get $s)))
      (local.set $c (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $c) (local.get $C)))
        (call $st (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2)))
          (f32x4.add
            (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $mv)) (local.get $sv))
              (v128.load (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2)))))
            (v128.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))
          (i32.sub (local.get $C) (local.get $c)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $l3)))
      (call $st64 (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3))) (local.get $m))
      (call $st64 (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3))) (local.get $s))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; rows: dinp = ((dnorm − mean(dnorm)) − norm·mean(dnorm·norm))·rstd, dnorm = dout·w,
  ;; norm = (x − mean)·rstd; the means over c ascending (scalar), dinp four columns at a time
  (func (export "ln_bwd_dinp") (param $dinp i32) (param $dout i32) (param $inp i32) (param $w i32) (param $mean i32) (param $rstd i32) (param $N i32) (param $C i32)
    (local $n i32) (local $c i32) (local $row i32) (local $p i32) (local $m f32) (local $s f32) (local $norm f32) (local $dnorm f32)
    (local $dm f32) (local $dnm f32) (local $Cf f32)
    (local $mv v128) (local $sv v128) (local $dmv v128) (local $dnmv v128) (local $nv v128)
    (local.set $Cf (f32.convert_i32_u (local.get $C)))
    (local.set $n (i32.const 0))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $row (i32.shl (i32.mul (local.get $n) (local.get $C)) (i32.const 2)))
      (local.set $m (f32.demote_f64 (f64.load (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3))))))
      (local.set $s (f32.demote_f64 (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3))))))
      (local.set $dm (f32.const 0))
      (local.set $dnm (f32.const 0))
      (local.set $c (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $p (i32.shl (local.get $c) (i32.const 2)))
        (local.set $norm (f32.mul (f32.sub (f32.load (i32.add (i32.add (local.get $inp) (local.get $row)) (local.get $p))) (local.get $m)) (local.get $s)))
        (local.set $dnorm (f32.mul (f32.load (i32.add (i32.add (local.get $dout) (local.get $row)) (local.get $p))) (f32.load (i32.add (local.get $w) (local.get $p)))))
        (local.set $dm (f32.add (local.get $dm) (local.get $dnorm)))
        (local.set $dnm (f32.add (local.get $dnm) (f32.mul (local.get $dnorm) (local.get $norm))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l1)))
      (local.set $dmv (f32x4.splat (f32.div (local.get $dm) (local.get $Cf))))
      (local.set $dnmv (f32x4.splat (f32.div (local.get $dnm) (local.get $Cf))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $sv (f32x4.splat (local.get $s)))
      (local.set $c (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $p (i32.shl (local.get $c) (i32.const 2)))
        (local.set $nv (f32x4.mul (f32x4.sub (v128.load (i32.add (i32.add (local.get $inp) (local.get $row)) (local.get $p))) (local.get $mv)) (local.get $sv)))
        (call $st (i32.add (i32.add (local.get $dinp) (local.get $row)) (local.get $p))
          (f32x4.mul
            (f32x4.sub
              (f32x4.sub
                (f32x4.mul (v128.load (i32.add (i32.add (local.get $dout) (local.get $row)) (local.get $p))) (v128.load (i32.add (local.get $w) (local.get $p))))
                (local.get $dmv))
              (f32x4.mul (local.get $nv) (local.get $dnmv)))
            (local.get $sv))
          (i32.sub (local.get $C) (local.get $c)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $l2)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; columns c0…c0+cnt−1: dweight = Σ_n dout·norm, dbias = Σ_n dout, n ascending, four columns a lane each
  (func (export "ln_bwd_dw") (param $dw i32) (param $db i32) (param $dout i32) (param $inp i32) (param $mean i32) (param $rstd i32) (param $N i32) (param $C i32) (param $c0 i32) (param $cnt i32)
    (local $n i32) (local $c i32) (local $end i32) (local $p i32) (local $aw v128) (local $ab v128) (local $g v128)
    (local.set $end (i32.add (local.get $c0) (local.get $cnt)))
    (local.set $c (local.get $c0))
    (block $dc (loop $lc
      (br_if $dc (i32.ge_u (local.get $c) (local.get $end)))
      (local.set $aw (v128.const i32x4 0 0 0 0))
      (local.set $ab (v128.const i32x4 0 0 0 0))
      (local.set $n (i32.const 0))
      (block $dn (loop $ln
        (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $p (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 2)))
        (local.set $g (v128.load (i32.add (local.get $dout) (local.get $p))))
        (local.set $aw (f32x4.add (local.get $aw) (f32x4.mul (local.get $g)
          (f32x4.mul
            (f32x4.sub (v128.load (i32.add (local.get $inp) (local.get $p))) (f32x4.splat (f32.demote_f64 (f64.load (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 3)))))))
            (f32x4.splat (f32.demote_f64 (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 3))))))))))
        (local.set $ab (f32x4.add (local.get $ab) (local.get $g)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $ln)))
      (call $st (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2))) (local.get $aw) (i32.sub (local.get $end) (local.get $c)))
      (call $st (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))) (local.get $ab) (i32.sub (local.get $end) (local.get $c)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $lc))))

  ;; ---- attention (reference-f32.ts attentionForward, attentionBackward) ----

  ;; per (b, h): q and v as f32 rows of hd4 (hd rounded up to 4, zero padded), k as rows too
  ;; (kf) and transposed (kt: hd × T4, T rounded up to 4, zero padded), v transposed (vt):
  ;; the lanes run over i or over t2
  (func $attn_gather (param $qkv i32) (param $b i32) (param $h i32) (param $T i32) (param $C i32) (param $hd i32) (param $hd4 i32) (param $T4 i32)
      (param $qf i32) (param $kf i32) (param $vf i32) (param $kt i32) (param $vt i32)
    (local $t i32) (local $i i32) (local $row i32) (local $q f32) (local $k f32) (local $v f32) (local $at i32)
    (memory.fill (local.get $qf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2)))
    (memory.fill (local.get $kf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2)))
    (memory.fill (local.get $vf) (i32.const 0) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2)))
    (memory.fill (local.get $kt) (i32.const 0) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2)))
    (memory.fill (local.get $vt) (i32.const 0) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2)))
    (local.set $t (i32.const 0))
    (block $dt (loop $lt
      (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
      ;; byte address of q[b, t, h·hd]
      (local.set $row (i32.add (local.get $qkv) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (i32.mul (local.get $C) (i32.const 3))) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $di (loop $li
        (br_if $di (i32.ge_u (local.get $i) (local.get $hd)))
        (local.set $q (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $k (f32.load (i32.add (local.get $row) (i32.shl (i32.add (local.get $C) (local.get $i)) (i32.const 2)))))
        (local.set $v (f32.load (i32.add (local.get $row) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $i)) (i32.const 2)))))
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hd4)) (local.get $i)) (i32.const 2)))
        (f32.store (i32.add (local.get $qf) (local.get $at)) (local.get $q))
        (f32.store (i32.add (local.get $kf) (local.get $at)) (local.get $k))
        (f32.store (i32.add (local.get $vf) (local.get $at)) (local.get $v))
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $i) (local.get $T4)) (local.get $t)) (i32.const 2)))
        (f32.store (i32.add (local.get $kt) (local.get $at)) (local.get $k))
        (f32.store (i32.add (local.get $vt) (local.get $at)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lt))))

  ;; out (B,T,C), att (B,NH,T,T) float64 (float32 values), from qkv (B,T,3C).
  ;; scratch: 3·T·hd4 + 2·hd·T4 + T4 floats.
  (func (export "attn_fwd") (param $out i32) (param $att i32) (param $qkv i32) (param $B i32) (param $T i32) (param $C i32) (param $NH i32) (param $scratch i32)
    (local $hd i32) (local $hd4 i32) (local $T4 i32) (local $b i32) (local $h i32) (local $t i32) (local $t2 i32) (local $i i32)
    (local $qf i32) (local $kf i32) (local $vf i32) (local $kt i32) (local $vt i32) (local $row i32) (local $a i32) (local $o i32)
    (local $scale v128) (local $max f32) (local $sum f32) (local $x f32) (local $inv v128) (local $acc v128)
    (local.set $hd (i32.div_u (local.get $C) (local.get $NH)))
    (local.set $hd4 (i32.and (i32.add (local.get $hd) (i32.const 3)) (i32.const -4)))
    (local.set $T4 (i32.and (i32.add (local.get $T) (i32.const 3)) (i32.const -4)))
    (local.set $scale (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (f32.convert_i32_u (local.get $hd))))))
    (local.set $qf (local.get $scratch))
    (local.set $kf (i32.add (local.get $qf) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2))))
    (local.set $vf (i32.add (local.get $kf) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2))))
    (local.set $kt (i32.add (local.get $vf) (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2))))
    (local.set $vt (i32.add (local.get $kt) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2))))
    (local.set $row (i32.add (local.get $vt) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2))))
    (local.set $b (i32.const 0))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $h (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $h) (local.get $NH)))
        (call $attn_gather (local.get $qkv) (local.get $b) (local.get $h) (local.get $T) (local.get $C) (local.get $hd) (local.get $hd4) (local.get $T4)
          (local.get $qf) (local.get $kf) (local.get $vf) (local.get $kt) (local.get $vt))
        (local.set $t (i32.const 0))
        (block $dt (loop $lt
          (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
          ;; scores s[t2] = (Σ_i q·k)·scale, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $ds (loop $ls
            (br_if $ds (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $di (loop $li
              (br_if $di (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                (v128.load32_splat (i32.add (local.get $qf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hd4)) (local.get $i)) (i32.const 2))))
                (v128.load (i32.add (local.get $kt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $T4)) (local.get $t2)) (i32.const 2)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $li)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2))) (f32x4.mul (local.get $acc) (local.get $scale)))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 4)))
            (br $ls)))
          ;; max over t2 ≤ t, in order; NaN never wins (as `s > max` in the reference)
          (local.set $max (f32.const -inf))
          (local.set $t2 (i32.const 0))
          (block $dm (loop $lm
            (br_if $dm (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $x (f32.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2)))))
            (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lm)))
          ;; e = exp(s − max), lanes over t2; then the sum in order
          (local.set $t2 (i32.const 0))
          (block $de (loop $le
            (br_if $de (i32.gt_u (local.get $t2) (local.get $t)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2)))
              (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2)))) (f32x4.splat (local.get $max)))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 4)))
            (br $le)))
          (local.set $sum (f32.const 0))
          (local.set $t2 (i32.const 0))
          (block $dsum (loop $lsum
            (br_if $dsum (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $sum (f32.add (local.get $sum) (f32.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2))))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lsum)))
          (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $sum))))
          ;; att = e·inv (canonical NaN), lanes over t2; stored as float64, 0 beyond t
          (local.set $t2 (i32.const 0))
          (block $dn (loop $ln
            (br_if $dn (i32.gt_u (local.get $t2) (local.get $t)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2)))
              (call $canon (f32x4.mul (v128.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2)))) (local.get $inv))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 4)))
            (br $ln)))
          (local.set $a (i32.add (local.get $att) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH)) (local.get $h)) (local.get $T)) (local.get $t)) (local.get $T)) (i32.const 3))))
          (local.set $t2 (i32.const 0))
          (block $da (loop $la
            (br_if $da (i32.ge_u (local.get $t2) (local.get $T)))
            (if (i32.le_u (local.get $t2) (local.get $t))
              (then (call $st64 (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))) (f32.load (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2))))))
              (else (f64.store (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))) (f64.const 0))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $la)))
          ;; out[b,t,h·hd+i] = Σ_t2 att·v over t2 ascending, lanes over i
          (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (local.get $C)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $dy (loop $ly
            (br_if $dy (i32.ge_u (local.get $i) (local.get $hd)))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $t2 (i32.const 0))
            (block $dv (loop $lv
              (br_if $dv (i32.gt_u (local.get $t2) (local.get $t)))
              (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                (v128.load32_splat (i32.add (local.get $row) (i32.shl (local.get $t2) (i32.const 2))))
                (v128.load (i32.add (local.get $vf) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hd4)) (local.get $i)) (i32.const 2)))))))
              (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
              (br $lv)))
            (call $st (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))) (local.get $acc) (i32.sub (local.get $hd) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $ly)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $lt)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $lb))))

  ;; dqkv (B,T,3C) from dout (B,T,C), qkv, att (float64 holding float32 values). Per (b, h) the
  ;; gradients accumulate in f32 over t ascending, in the reference's order, lanes over i or t2.
  ;; scratch: 3·T·hd4 + 2·hd·T4 (q, k, v gathered) + 3·T·hd4 (dq, dk, dv) + 3·T4 + hd4 floats.
  (func (export "attn_bwd") (param $dqkv i32) (param $dout i32) (param $qkv i32) (param $att i32) (param $B i32) (param $T i32) (param $C i32) (param $NH i32) (param $scratch i32)
    (local $hd i32) (local $hd4 i32) (local $T4 i32) (local $b i32) (local $h i32) (local $t i32) (local $t2 i32) (local $i i32)
    (local $qf i32) (local $kf i32) (local $vf i32) (local $kt i32) (local $vt i32) (local $dq i32) (local $dk i32) (local $dv i32)
    (local $arow i32) (local $datt i32) (local $dpre i32) (local $go i32)
    (local $a i32) (local $o i32) (local $base i32) (local $rowB i32) (local $p i32)
    (local $scale v128) (local $dot f32) (local $g v128) (local $acc v128)
    (local.set $hd (i32.div_u (local.get $C) (local.get $NH)))
    (local.set $hd4 (i32.and (i32.add (local.get $hd) (i32.const 3)) (i32.const -4)))
    (local.set $T4 (i32.and (i32.add (local.get $T) (i32.const 3)) (i32.const -4)))
    (local.set $scale (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (f32.convert_i32_u (local.get $hd))))))
    (local.set $rowB (i32.shl (i32.mul (local.get $T) (local.get $hd4)) (i32.const 2)))
    (local.set $qf (local.get $scratch))
    (local.set $kf (i32.add (local.get $qf) (local.get $rowB)))
    (local.set $vf (i32.add (local.get $kf) (local.get $rowB)))
    (local.set $kt (i32.add (local.get $vf) (local.get $rowB)))
    (local.set $vt (i32.add (local.get $kt) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2))))
    (local.set $dq (i32.add (local.get $vt) (i32.shl (i32.mul (local.get $hd) (local.get $T4)) (i32.const 2))))
    (local.set $dk (i32.add (local.get $dq) (local.get $rowB)))
    (local.set $dv (i32.add (local.get $dk) (local.get $rowB)))
    (local.set $arow (i32.add (local.get $dv) (local.get $rowB)))
    (local.set $datt (i32.add (local.get $arow) (i32.shl (local.get $T4) (i32.const 2))))
    (local.set $dpre (i32.add (local.get $datt) (i32.shl (local.get $T4) (i32.const 2))))
    (local.set $go (i32.add (local.get $dpre) (i32.shl (local.get $T4) (i32.const 2))))
    (local.set $b (i32.const 0))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $h (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $h) (local.get $NH)))
        (call $attn_gather (local.get $qkv) (local.get $b) (local.get $h) (local.get $T) (local.get $C) (local.get $hd) (local.get $hd4) (local.get $T4)
          (local.get $qf) (local.get $kf) (local.get $vf) (local.get $kt) (local.get $vt))
        (memory.fill (local.get $dq) (i32.const 0) (i32.mul (local.get $rowB) (i32.const 3)))
        (local.set $t (i32.const 0))
        (block $dt (loop $lt
          (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
          (local.set $a (i32.add (local.get $att) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH)) (local.get $h)) (local.get $T)) (local.get $t)) (local.get $T)) (i32.const 3))))
          (local.set $o (i32.add (local.get $dout) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (local.get $C)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
          ;; this row's probabilities (f32, 0 past T) and dout (f32, 0 past hd)
          (local.set $t2 (i32.const 0))
          (block $dr (loop $lr
            (br_if $dr (i32.ge_u (local.get $t2) (local.get $T4)))
            (f32.store (i32.add (local.get $arow) (i32.shl (local.get $t2) (i32.const 2)))
              (if (result f32) (i32.lt_u (local.get $t2) (local.get $T))
                (then (f32.demote_f64 (f64.load (i32.add (local.get $a) (i32.shl (local.get $t2) (i32.const 3))))))
                (else (f32.const 0))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $lr)))
          (local.set $i (i32.const 0))
          (block $dg (loop $lg
            (br_if $dg (i32.ge_u (local.get $i) (local.get $hd4)))
            (f32.store (i32.add (local.get $go) (i32.shl (local.get $i) (i32.const 2)))
              (if (result f32) (i32.lt_u (local.get $i) (local.get $hd))
                (then (f32.load (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2)))))
                (else (f32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $lg)))
          ;; datt[t2] = Σ_i dout·v over i ascending, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $d1 (loop $l1
            (br_if $d1 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $d1i (loop $l1i
              (br_if $d1i (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                (v128.load32_splat (i32.add (local.get $go) (i32.shl (local.get $i) (i32.const 2))))
                (v128.load (i32.add (local.get $vt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $T4)) (local.get $t2)) (i32.const 2)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l1i)))
            (v128.store (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 2))) (local.get $acc))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 4)))
            (br $l1)))
          ;; dv[t2, i] += att[t2]·dout[i], lanes over i
          (local.set $t2 (i32.const 0))
          (block $d2 (loop $l2
            (br_if $d2 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $g (v128.load32_splat (i32.add (local.get $arow) (i32.shl (local.get $t2) (i32.const 2)))))
            (local.set $i (i32.const 0))
            (block $d2i (loop $l2i
              (br_if $d2i (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $p (i32.add (local.get $dv) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hd4)) (local.get $i)) (i32.const 2))))
              (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
                (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $go) (i32.shl (local.get $i) (i32.const 2)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $l2i)))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $l2)))
          ;; dot = Σ att·datt over t2 ascending
          (local.set $dot (f32.const 0))
          (local.set $t2 (i32.const 0))
          (block $d3 (loop $l3
            (br_if $d3 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $dot (f32.add (local.get $dot) (f32.mul
              (f32.load (i32.add (local.get $arow) (i32.shl (local.get $t2) (i32.const 2))))
              (f32.load (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 2)))))))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
            (br $l3)))
          ;; dpre[t2] = (att·(datt − dot))·scale, lanes over t2
          (local.set $t2 (i32.const 0))
          (block $d4 (loop $l4
            (br_if $d4 (i32.gt_u (local.get $t2) (local.get $t)))
            (v128.store (i32.add (local.get $dpre) (i32.shl (local.get $t2) (i32.const 2)))
              (f32x4.mul
                (f32x4.mul (v128.load (i32.add (local.get $arow) (i32.shl (local.get $t2) (i32.const 2))))
                  (f32x4.sub (v128.load (i32.add (local.get $datt) (i32.shl (local.get $t2) (i32.const 2)))) (f32x4.splat (local.get $dot))))
                (local.get $scale)))
            (local.set $t2 (i32.add (local.get $t2) (i32.const 4)))
            (br $l4)))
          ;; dq[t, i] += g·k[t2, i]; dk[t2, i] += g·q[t, i]; t2 ascending, lanes over i
          (local.set $t2 (i32.const 0))
          (block $d5 (loop $l5
            (br_if $d5 (i32.gt_u (local.get $t2) (local.get $t)))
            (local.set $g (v128.load32_splat (i32.add (local.get $dpre) (i32.shl (local.get $t2) (i32.const 2)))))
            (local.set $i (i32.const 0))
            (block $d5i (loop $l5i
              (br_if $d5i (i32.ge_u (local.get $i) (local.get $hd)))
              (local.set $p (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hd4)) (local.get $i)) (i32.const 2))))
              (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
                (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $kf) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hd4)) (local.get $i)) (i32.const 2)))))))
              (local.set $p (i32.add (local.get $dk) (i32.shl (i32.add (i32.mul (local.get $t2) (local.get $hd4)) (local.get $i)) (i32.const 2))))
              (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
                (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $qf) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hd4)) (local.get $i)) (i32.const 2)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
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
            (local.set $p (i32.shl (i32.add (i32.mul (local.get $t) (local.get $hd4)) (local.get $i)) (i32.const 2)))
            (call $st (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))
              (v128.load (i32.add (local.get $dq) (local.get $p))) (i32.sub (local.get $hd) (local.get $i)))
            (call $st (i32.add (local.get $base) (i32.shl (i32.add (local.get $C) (local.get $i)) (i32.const 2)))
              (v128.load (i32.add (local.get $dk) (local.get $p))) (i32.sub (local.get $hd) (local.get $i)))
            (call $st (i32.add (local.get $base) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $i)) (i32.const 2)))
              (v128.load (i32.add (local.get $dv) (local.get $p))) (i32.sub (local.get $hd) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $l6i)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $l6)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $lb))))

  ;; ---- elementwise: activations, dropout, the residual add, Adam; four elements at a time ----

  ;; the tanh-GELU's inner argument K·(x + ((C·x)·x)·x)
  (func $gelu_inner (param $x v128) (result v128)
    (f32x4.mul ($f32x4{Math.sqrt(2 / Math.PI)})
      (f32x4.add (local.get $x)
        (f32x4.mul (f32x4.mul (f32x4.mul ($f32x4{0.044715}) (local.get $x)) (local.get $x)) (local.get $x)))))

  ;; four elements: kind 0 GELU, 1 tanh; forward (g ignored) or backward (× g)
  (func $act4 (param $kind i32) (param $backward i32) (param $x v128) (param $g v128) (result v128)
    (local $t v128)
    (if (result v128) (i32.eqz (local.get $kind))
      (then
        (local.set $t (call $tanh4 (call $gelu_inner (local.get $x))))
        (if (result v128) (i32.eqz (local.get $backward))
          ;; (0.5·x)·(1 + t)
          (then (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $x)) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t))))
          ;; (0.5·(1 + t) + (0.5·x)·dt)·g, dt = ((1 − t·t)·K)·(1 + (3C·x)·x)
          (else (f32x4.mul
            (f32x4.add
              (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t)))
              (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $x))
                (f32x4.mul
                  (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $t) (local.get $t))) ($f32x4{Math.sqrt(2 / Math.PI)}))
                  (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (f32x4.mul ($f32x4{3 * 0.044715}) (local.get $x)) (local.get $x))))))
            (local.get $g)))))
      (else
        (local.set $t (call $tanh4 (local.get $x)))
        (if (result v128) (i32.eqz (local.get $backward))
          (then (local.get $t))
          ;; (1 − t·t)·g
          (else (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $t) (local.get $t))) (local.get $g)))))))

  ;; out[i] = act(inp[i]) (forward) or act′(inp[i])·dout[i] (backward), i < n
  (func (export "activation") (param $kind i32) (param $backward i32) (param $out i32) (param $inp i32) (param $dout i32) (param $n i32)
    (local $i i32) (local $p i32)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (call $st (i32.add (local.get $out) (local.get $p))
        (call $act4 (local.get $kind) (local.get $backward) (v128.load (i32.add (local.get $inp) (local.get $p))) (v128.load (i32.add (local.get $dout) (local.get $p))))
        (i32.sub (local.get $n) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; out = x·(keep ? s : 0), s the float32 at $sp (reference-f32.ts dropoutScaleF32); a dropped
  ;; element is x·0 (±0, or NaN from NaN and ±Inf)
  (func (export "dropout") (param $out i32) (param $inp i32) (param $keep i32) (param $n i32) (param $sp i32)
    (local $i i32) (local $p i32) (local $s v128)
    (local.set $s (v128.load32_splat (local.get $sp)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (call $st (i32.add (local.get $out) (local.get $p))
        (f32x4.mul (v128.load (i32.add (local.get $inp) (local.get $p)))
          (v128.and (local.get $s)
            (i32x4.ne
              (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $keep) (local.get $i)))))
              (v128.const i32x4 0 0 0 0))))
        (i32.sub (local.get $n) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; out = a + b (float32 addition)
  (func (export "add") (param $out i32) (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $p i32)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (call $st (i32.add (local.get $out) (local.get $p))
        (f32x4.add (v128.load (i32.add (local.get $a) (local.get $p))) (v128.load (i32.add (local.get $b) (local.get $p))))
        (i32.sub (local.get $n) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; Adam / AdamW (reference-f32.ts adamUpdate), in place. $k: 9 floats — β1, β2, 1−β1, 1−β2,
  ;; eps, stepSize, bc2Sqrt, l2, decay — then decoupled (i32, 0 | 1)
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $k i32)
    (local $i i32) (local $off i32) (local $left i32) (local $decoupled i32)
    (local $b1 v128) (local $b2 v128) (local $c1 v128) (local $c2 v128) (local $eps v128) (local $step v128)
    (local $bc2 v128) (local $l2 v128) (local $decay v128)
    (local $x v128) (local $d v128) (local $mi v128) (local $vi v128)
    (local.set $b1 (v128.load32_splat (local.get $k)))
    (local.set $b2 (v128.load32_splat offset=4 (local.get $k)))
    (local.set $c1 (v128.load32_splat offset=8 (local.get $k)))
    (local.set $c2 (v128.load32_splat offset=12 (local.get $k)))
    (local.set $eps (v128.load32_splat offset=16 (local.get $k)))
    (local.set $step (v128.load32_splat offset=20 (local.get $k)))
    (local.set $bc2 (v128.load32_splat offset=24 (local.get $k)))
    (local.set $l2 (v128.load32_splat offset=28 (local.get $k)))
    (local.set $decay (v128.load32_splat offset=32 (local.get $k)))
    (local.set $decoupled (i32.load offset=36 (local.get $k)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $left (i32.sub (local.get $n) (local.get $i)))
      (local.set $x (v128.load (i32.add (local.get $p) (local.get $off))))
      (if (local.get $decoupled) (then (local.set $x (f32x4.mul (local.get $x) (local.get $decay)))))
      (local.set $d (f32x4.add (v128.load (i32.add (local.get $g) (local.get $off))) (f32x4.mul (local.get $l2) (local.get $x))))
      (local.set $mi (f32x4.add (f32x4.mul (local.get $b1) (v128.load (i32.add (local.get $m) (local.get $off)))) (f32x4.mul (local.get $c1) (local.get $d))))
      (local.set $vi (f32x4.add (f32x4.mul (local.get $b2) (v128.load (i32.add (local.get $v) (local.get $off)))) (f32x4.mul (f32x4.mul (local.get $c2) (local.get $d)) (local.get $d))))
      (call $st (i32.add (local.get $m) (local.get $off)) (local.get $mi) (local.get $left))
      (call $st (i32.add (local.get $v) (local.get $off)) (local.get $vi) (local.get $left))
      (call $st (i32.add (local.get $p) (local.get $off))
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $step)
          (f32x4.div (local.get $mi) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $bc2)) (local.get $eps)))))
        (local.get $left))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; the index of the first element of a (f32, n) that is ±Inf or NaN, or −1: x − x is 0 for
  ;; every finite x and NaN otherwise; four lanes tested at once, the lane found by a scalar pass
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

  ;; ---- cross-entropy forward (reference-f32.ts crossEntropyForward), all but its logarithms ----
  ;; lanes over four rows (rows past N repeat row N−1, not stored): per row the max over v
  ;; ascending, e = exp(z − max), Σ e over v ascending, probs (f64, N × V) = e·(1/Σ); stats
  ;; (f32): max and Σ per row, for the caller's log Σ − (z_target − max)
  (func (export "ce_fwd") (param $probs i32) (param $logits i32) (param $N i32) (param $V i32) (param $stats i32)
    (local $n i32) (local $v i32) (local $j i32) (local $rows i32) (local $last i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $x v128) (local $max v128) (local $sum v128) (local $e v128) (local $inv v128) (local $pp i32)
    (if (i32.eqz (local.get $N)) (then (return)))
    (local.set $last (i32.sub (local.get $N) (i32.const 1)))
    (local.set $n (i32.const 0))
    (block $done (loop $lrows
      (br_if $done (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $rows (call $min (i32.sub (local.get $N) (local.get $n)) (i32.const 4)))
      (local.set $r0 (i32.add (local.get $logits) (i32.shl (i32.mul (local.get $n) (local.get $V)) (i32.const 2))))
      (local.set $r1 (i32.add (local.get $logits) (i32.shl (i32.mul (call $min (i32.add (local.get $n) (i32.const 1)) (local.get $last)) (local.get $V)) (i32.const 2))))
      (local.set $r2 (i32.add (local.get $logits) (i32.shl (i32.mul (call $min (i32.add (local.get $n) (i32.const 2)) (local.get $last)) (local.get $V)) (i32.const 2))))
      (local.set $r3 (i32.add (local.get $logits) (i32.shl (i32.mul (call $min (i32.add (local.get $n) (i32.const 3)) (local.get $last)) (local.get $V)) (i32.const 2))))
      (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $v (i32.const 0))
      (block $dm (loop $lm
        (br_if $dm (i32.ge_u (local.get $v) (local.get $V)))
        (local.set $x (call $gather4 (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (i32.shl (local.get $v) (i32.const 2))))
        (local.set $max (v128.bitselect (local.get $x) (local.get $max) (f32x4.gt (local.get $x) (local.get $max))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $lm)))
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $v (i32.const 0))
      (block $ds (loop $ls
        (br_if $ds (i32.ge_u (local.get $v) (local.get $V)))
        (local.set $e (call $exp4 (f32x4.sub (call $gather4 (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (i32.shl (local.get $v) (i32.const 2))) (local.get $max))))
        (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
        ;; e (exact as f64) into probs, scaled below
        (local.set $pp (i32.add (local.get $probs) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $V)) (local.get $v)) (i32.const 3))))
        (f64.store (local.get $pp) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $e))))
        (if (i32.gt_s (local.get $rows) (i32.const 1)) (then
          (f64.store (i32.add (local.get $pp) (i32.shl (local.get $V) (i32.const 3))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $e))))))
        (if (i32.gt_s (local.get $rows) (i32.const 2)) (then
          (f64.store (i32.add (local.get $pp) (i32.shl (local.get $V) (i32.const 4))) (f64.promote_f32 (f32x4.extract_lane 2 (local.get $e))))))
        (if (i32.gt_s (local.get $rows) (i32.const 3)) (then
          (f64.store (i32.add (local.get $pp) (i32.mul (local.get $V) (i32.const 24))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $e))))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $ls)))
      (local.set $inv (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $sum)))
      ;; probs = e·inv, row by row (each row's own lane of inv)
      (local.set $j (i32.const 0))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $rows)))
        (call $scale_row
          (i32.add (local.get $probs) (i32.shl (i32.mul (i32.add (local.get $n) (local.get $j)) (local.get $V)) (i32.const 3)))
          (local.get $V)
          (call $lane (local.get $inv) (local.get $j)))
        (f32.store (i32.add (local.get $stats) (i32.shl (i32.add (local.get $n) (local.get $j)) (i32.const 3))) (call $lane (local.get $max) (local.get $j)))
        (f32.store offset=4 (i32.add (local.get $stats) (i32.shl (i32.add (local.get $n) (local.get $j)) (i32.const 3))) (call $lane (local.get $sum) (local.get $j)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $n (i32.add (local.get $n) (i32.const 4)))
      (br $lrows))))

  ;; (r0[off], r1[off], r2[off], r3[off]) as four lanes
  (func $gather4 (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $off i32) (result v128)
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (v128.load32_zero (i32.add (local.get $r0) (local.get $off)))
          (f32.load (i32.add (local.get $r1) (local.get $off))))
        (f32.load (i32.add (local.get $r2) (local.get $off))))
      (f32.load (i32.add (local.get $r3) (local.get $off)))))

  (func $lane (param $v v128) (param $j i32) (result f32)
    (if (result f32) (i32.eqz (local.get $j)) (then (f32x4.extract_lane 0 (local.get $v)))
      (else (if (result f32) (i32.eq (local.get $j) (i32.const 1)) (then (f32x4.extract_lane 1 (local.get $v)))
        (else (if (result f32) (i32.eq (local.get $j) (i32.const 2)) (then (f32x4.extract_lane 2 (local.get $v)))
          (else (f32x4.extract_lane 3 (local.get $v)))))))))

  ;; p[v] = f64(f32(p[v])·s) for v < V, NaN canonical
  (func $scale_row (param $p i32) (param $V i32) (param $s f32)
    (local $v i32) (local $x f32)
    (local.set $v (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $v) (local.get $V)))
      (local.set $x (f32.mul (f32.demote_f64 (f64.load (i32.add (local.get $p) (i32.shl (local.get $v) (i32.const 3))))) (local.get $s)))
      (call $st64 (i32.add (local.get $p) (i32.shl (local.get $v) (i32.const 3))) (local.get $x))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $l))))

  ;; ---- for scripts/bench.ts: the peak of f32x4 multiply-adds held in registers ----
  ;; 12 independent accumulators (a = a·x + y: a multiply and a dependent add, as a matmul's
  ;; accumulation does); returns a lane so the work is not optimized away
  (func (export "peak_madd") (param $iters i32) (result f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128)
    (local $a6 v128) (local $a7 v128) (local $a8 v128) (local $a9 v128) (local $a10 v128) (local $a11 v128)
    (local $x v128) (local $y v128)
    (local.set $x (v128.const f32x4 0.999999 0.999998 0.999997 0.999996))
    (local.set $y (v128.const f32x4 0.000001 0.000002 0.000003 0.000004))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $iters)))
      (local.set $a0 (f32x4.add (f32x4.mul (local.get $a0) (local.get $x)) (local.get $y)))
      (local.set $a1 (f32x4.add (f32x4.mul (local.get $a1) (local.get $x)) (local.get $y)))
      (local.set $a2 (f32x4.add (f32x4.mul (local.get $a2) (local.get $x)) (local.get $y)))
      (local.set $a3 (f32x4.add (f32x4.mul (local.get $a3) (local.get $x)) (local.get $y)))
      (local.set $a4 (f32x4.add (f32x4.mul (local.get $a4) (local.get $x)) (local.get $y)))
      (local.set $a5 (f32x4.add (f32x4.mul (local.get $a5) (local.get $x)) (local.get $y)))
      (local.set $a6 (f32x4.add (f32x4.mul (local.get $a6) (local.get $x)) (local.get $y)))
      (local.set $a7 (f32x4.add (f32x4.mul (local.get $a7) (local.get $x)) (local.get $y)))
      (local.set $a8 (f32x4.add (f32x4.mul (local.get $a8) (local.get $x)) (local.get $y)))
      (local.set $a9 (f32x4.add (f32x4.mul (local.get $a9) (local.get $x)) (local.get $y)))
      (local.set $a10 (f32x4.add (f32x4.mul (local.get $a10) (local.get $x)) (local.get $y)))
      (local.set $a11 (f32x4.add (f32x4.mul (local.get $a11) (local.get $x)) (local.get $y)))
      (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
      (br $l)))
    (f32x4.extract_lane 0 (f32x4.add
      (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))
        (f32x4.add (f32x4.add (local.get $a4) (local.get $a5)) (f32x4.add (local.get $a6) (local.get $a7))))
      (f32x4.add (f32x4.add (local.get $a8) (local.get $a9)) (f32x4.add (local.get $a10) (local.get $a11))))))
)
