;; Logs 1 KiB with four topics forever: gas ends it.
(module
  (import "vnt_v1" "log" (func $log (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (loop $again (call $log (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 1024)) (br $again))))
