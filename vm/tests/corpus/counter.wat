;; Increments a counter in storage slot 0, logs the new value and returns it.
(module
  (import "vnt_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "vnt_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "vnt_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call")
    (call $storage_read (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 63) (i32.add (i32.load8_u (i32.const 63)) (i32.const 1)))
    (call $storage_write (i32.const 0) (i32.const 32))
    (call $log (i32.const 32) (i32.const 1) (i32.const 32) (i32.const 32))
    (call $return_data (i32.const 32) (i32.const 32))))
