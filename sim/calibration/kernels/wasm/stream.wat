;; STREAM kernels on f64 arrays with 128-bit SIMD (f64x2). Hand-written.
;; Pointers are byte offsets into the imported memory; n (elements) must be a multiple of 4.
(module
  (import "env" "memory" (memory 1))

  ;; dst[i] = x[i]
  (func (export "copy") (param $dst i32) (param $x i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $x) (local.get $i))))
      (v128.store offset=16 (i32.add (local.get $dst) (local.get $i)) (v128.load offset=16 (i32.add (local.get $x) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $l))))

  ;; dst[i] = s * x[i]
  (func (export "scale") (param $dst i32) (param $x i32) (param $s f64) (param $n i32)
    (local $i i32) (local $end i32) (local $vs v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $vs (f64x2.splat (local.get $s)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (f64x2.mul (local.get $vs) (v128.load (i32.add (local.get $x) (local.get $i)))))
      (v128.store offset=16 (i32.add (local.get $dst) (local.get $i))
        (f64x2.mul (local.get $vs) (v128.load offset=16 (i32.add (local.get $x) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $l))))

  ;; dst[i] = x[i] + y[i]
  (func (export "add") (param $dst i32) (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (f64x2.add (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $y) (local.get $i)))))
      (v128.store offset=16 (i32.add (local.get $dst) (local.get $i))
        (f64x2.add (v128.load offset=16 (i32.add (local.get $x) (local.get $i))) (v128.load offset=16 (i32.add (local.get $y) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $l))))

  ;; dst[i] = x[i] + s * y[i]
  (func (export "triad") (param $dst i32) (param $x i32) (param $y i32) (param $s f64) (param $n i32)
    (local $i i32) (local $end i32) (local $vs v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $vs (f64x2.splat (local.get $s)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (f64x2.add (v128.load (i32.add (local.get $x) (local.get $i)))
                   (f64x2.mul (local.get $vs) (v128.load (i32.add (local.get $y) (local.get $i))))))
      (v128.store offset=16 (i32.add (local.get $dst) (local.get $i))
        (f64x2.add (v128.load offset=16 (i32.add (local.get $x) (local.get $i)))
                   (f64x2.mul (local.get $vs) (v128.load offset=16 (i32.add (local.get $y) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $l))))
)
