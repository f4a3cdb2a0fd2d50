;; A caller for the call tests. Input: target (20 bytes), mode (1 byte: 0 call, 1 static
;; call, 2 delegate call, 3 create), value (32 bytes), gas (8 bytes little-endian, 0 for
;; all it may forward), then the callee's input or, for create, the module to deploy.
;; Records the status in its storage slot 0xaa and returns the status byte followed by the
;; callee's result (or, for create, the new address).
(module
  (import "vnt_v1" "input_size" (func $input_size (result i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "vnt_v1" "static_call" (func $static_call (param i32 i32 i32 i64) (result i32)))
  (import "vnt_v1" "delegate_call" (func $delegate_call (param i32 i32 i32 i64) (result i32)))
  (import "vnt_v1" "create" (func $create (param i32 i32 i32 i64 i32) (result i32)))
  (import "vnt_v1" "result_size" (func $result_size (result i32)))
  (import "vnt_v1" "result_copy" (func $result_copy (param i32 i32 i32)))
  (import "vnt_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 4)
  (func (export "call")
    (local $len i32) (local $payload i32) (local $mode i32) (local $gas i64) (local $status i32)
    (local $size i32)
    (local.set $len (call $input_size))
    (call $input_copy (i32.const 1024) (i32.const 0) (local.get $len))
    (local.set $payload (i32.sub (local.get $len) (i32.const 61)))
    (local.set $mode (i32.load8_u (i32.const 1044)))
    (local.set $gas (i64.load (i32.const 1077)))
    (if (i64.eqz (local.get $gas)) (then (local.set $gas (i64.const -1))))
    (block $done
      (if (i32.eqz (local.get $mode)) (then
        (local.set $status (call $call (i32.const 1024) (i32.const 1045) (i32.const 1085)
          (local.get $payload) (local.get $gas)))
        (br $done)))
      (if (i32.eq (local.get $mode) (i32.const 1)) (then
        (local.set $status (call $static_call (i32.const 1024) (i32.const 1085)
          (local.get $payload) (local.get $gas)))
        (br $done)))
      (if (i32.eq (local.get $mode) (i32.const 2)) (then
        (local.set $status (call $delegate_call (i32.const 1024) (i32.const 1085)
          (local.get $payload) (local.get $gas)))
        (br $done)))
      (local.set $status (call $create (i32.const 1085) (local.get $payload) (i32.const 1045)
        (local.get $gas) (i32.const 1))))
    (i32.store8 (i32.const 0) (local.get $status))
    (i32.store8 (i32.const 543) (i32.const 0xaa))
    (i32.store8 (i32.const 575) (local.get $status))
    (call $storage_write (i32.const 512) (i32.const 544))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then (call $return_data (i32.const 0) (i32.const 21))))
    (local.set $size (call $result_size))
    (call $result_copy (i32.const 1) (i32.const 0) (local.get $size))
    (call $return_data (i32.const 0) (i32.add (local.get $size) (i32.const 1)))))
