;; Calls itself until the depth limit stops it, after descending `input[1] * 16` frames of
;; its own stack at every level. Each frame counts itself in storage slot 0. With input[0]
;; = 0 the deepest frame (whose call fails) answers 0 and every frame above adds one, so the
;; outermost returns the number of nested calls that ran; with input[0] = 1 a failed call
;; traps instead, and the failure unwinds every frame.
(module
  (import "vnt_v1" "address" (func $address (param i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "vnt_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "vnt_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "vnt_v1" "result_copy" (func $result_copy (param i32 i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  ;; Memory: own address at 0, zero value at 32, input at 64, key at 96, counter at 128.
  (func $descend (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (i32.add (call $descend (i32.sub (local.get $n) (i32.const 1))) (i32.const 0)))
      (else (call $call (i32.const 0) (i32.const 32) (i32.const 64) (i32.const 2)
        (i64.const -1)))))
  (func (export "call")
    (call $input_copy (i32.const 64) (i32.const 0) (i32.const 2))
    (call $address (i32.const 0))
    (call $storage_read (i32.const 96) (i32.const 128))
    (i32.store8 (i32.const 159) (i32.add (i32.load8_u (i32.const 159)) (i32.const 1)))
    (call $storage_write (i32.const 96) (i32.const 128))
    (if (i32.eqz (call $descend (i32.mul (i32.load8_u (i32.const 65)) (i32.const 16))))
      (then
        (call $result_copy (i32.const 200) (i32.const 0) (i32.const 4))
        (i32.store (i32.const 200) (i32.add (i32.load (i32.const 200)) (i32.const 1)))
        (call $return_data (i32.const 200) (i32.const 4))))
    (if (i32.load8_u (i32.const 64)) (then unreachable))
    (i32.store (i32.const 200) (i32.const 0))
    (call $return_data (i32.const 200) (i32.const 4))))
