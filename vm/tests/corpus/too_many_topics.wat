;; A log with five topics.
(module
  (import "vnt_v1" "log" (func $log (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (call $log (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0))))
