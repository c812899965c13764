;; The hot loop of weft's rANS encoder (src/log/rans.ts), in WebAssembly: the same integer
;; arithmetic, so the same bytes, with each division by a symbol's frequency done as a multiply
;; by its reciprocal and a one-step correction (exact for every 32-bit state). Built by
;; scripts/build-wasm.ts into rans.wasm (committed; a test rebuilds it).
(module
  (memory (export "memory") 1 65536)

  ;; Encodes src[0…n) backwards, two states alternating by position parity (even: state 0),
  ;; into a buffer whose end is $outEnd, renormalising byte-wise, as rans.ts does. $sym holds
  ;; per symbol 16 bytes: u32 freq, u32 cum, u32 xMax, u32 floor(2^32 / freq). Returns the start
  ;; of the written bytes, or −1 when more than $cap bytes were written (the block is then
  ;; stored, as rans.ts does); the buffer must have 2 spare bytes below $outEnd − $cap. The final
  ;; states go to $states (two u32).
  (func (export "encode") (param $src i32) (param $n i32) (param $sym i32) (param $cap i32) (param $outEnd i32) (param $states i32) (result i32)
    (local $i i32) (local $s i32) (local $e i32) (local $f i32) (local $xMax i32) (local $x i32) (local $q i32)
    (local $x0 i32) (local $x1 i32) (local $pos i32)
    (local.set $x0 (i32.const 8388608)) ;; RANS_L = 2^23
    (local.set $x1 (i32.const 8388608))
    (local.set $pos (local.get $outEnd))
    (local.set $i (local.get $n))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (local.set $s (i32.load8_u (i32.add (local.get $src) (local.get $i))))
      (local.set $e (i32.add (local.get $sym) (i32.shl (local.get $s) (i32.const 4))))
      (local.set $f (i32.load (local.get $e)))
      (local.set $xMax (i32.load offset=8 (local.get $e)))
      (local.set $x (select (local.get $x1) (local.get $x0) (i32.and (local.get $i) (i32.const 1))))
      ;; renormalise: emit low bytes while x ≥ xMax — at most two (x < 2^31, xMax ≥ 2^17) —
      ;; without branches: a byte is always stored below the written ones and kept only when
      ;; due (a mispredicted branch cost more than the whole symbol)
      (if (i32.gt_u (i32.sub (local.get $outEnd) (local.get $pos)) (local.get $cap)) (then (return (i32.const -1))))
      (local.set $q (i32.ge_u (local.get $x) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x))
      (local.set $pos (i32.sub (local.get $pos) (local.get $q)))
      (local.set $x (select (i32.shr_u (local.get $x) (i32.const 8)) (local.get $x) (local.get $q)))
      (local.set $q (i32.ge_u (local.get $x) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x))
      (local.set $pos (i32.sub (local.get $pos) (local.get $q)))
      (local.set $x (select (i32.shr_u (local.get $x) (i32.const 8)) (local.get $x) (local.get $q)))
      ;; q = floor(x / f): reciprocal estimate, then corrected to exact
      (local.set $q (i32.wrap_i64 (i64.shr_u
        (i64.mul (i64.extend_i32_u (local.get $x)) (i64.extend_i32_u (i32.load offset=12 (local.get $e))))
        (i64.const 32))))
      (if (i32.gt_u (i32.mul (local.get $q) (local.get $f)) (local.get $x)) (then (local.set $q (i32.sub (local.get $q) (i32.const 1)))))
      (if (i32.le_u (i32.mul (i32.add (local.get $q) (i32.const 1)) (local.get $f)) (local.get $x)) (then (local.set $q (i32.add (local.get $q) (i32.const 1)))))
      ;; x = (q << 14) + (x − q·f) + cum
      (local.set $x (i32.add
        (i32.add (i32.shl (local.get $q) (i32.const 14)) (i32.sub (local.get $x) (i32.mul (local.get $q) (local.get $f))))
        (i32.load offset=4 (local.get $e))))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $x1 (local.get $x)))
        (else (local.set $x0 (local.get $x))))
      (br $l)))
    (if (i32.gt_u (i32.sub (local.get $outEnd) (local.get $pos)) (local.get $cap)) (then (return (i32.const -1))))
    (i32.store (local.get $states) (local.get $x0))
    (i32.store offset=4 (local.get $states) (local.get $x1))
    (local.get $pos))

  ;; counts[s] = occurrences of byte s in src[0…n) (256 u32 at $counts)
  (func (export "count") (param $src i32) (param $n i32) (param $counts i32)
    (local $i i32) (local $p i32)
    (memory.fill (local.get $counts) (i32.const 0) (i32.const 1024))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $counts) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 2))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
)
